"""Pull secrets as the kubelet reads them: dockerconfig parsing, the secret types, expiry.

A ``kubernetes.io/dockerconfigjson`` or ``kubernetes.io/dockercfg`` secret is decoded into
``RegistryCredential`` entries the way the kubelet's DockerConfigEntry.UnmarshalJSON reads
them, with what is wrong with it kept as data (``DockerConfig.problems``); short-lived
passwords (ECR tokens, JWTs) are read for their expiry.

Which entry the kubelet then uses for an image is a separate question, answered in
``keyring.py``: parsing needs no image and matching needs no secret, so each half can be read
(and changed) without the other. This module imports nothing from there.

Passwords live only in ``RegistryCredential.password``, which no document or ``repr``
shows; everything meant for output is built from keys, user names and secret names.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from ..kube import Obj, dig, name_of

DOCKERCONFIGJSON_TYPE = "kubernetes.io/dockerconfigjson"
DOCKERCFG_TYPE = "kubernetes.io/dockercfg"
PULL_SECRET_DATA_KEYS = {DOCKERCONFIGJSON_TYPE: ".dockerconfigjson", DOCKERCFG_TYPE: ".dockercfg"}


@dataclass(frozen=True)
class RegistryCredential:
    """One entry of a pull secret; the password never leaves through repr or a document."""

    key: str
    username: str
    password: str = field(repr=False, compare=False, metadata={"document": False})
    secret: str = ""


@dataclass(frozen=True)
class DockerConfig:
    """The credentials of one pull secret, and what is wrong with it (errors as data)."""

    secret: str
    credentials: Tuple[RegistryCredential, ...] = ()
    problems: Tuple[str, ...] = ()


# --- parsing -----------------------------------------------------------------------------


def parse_pull_secret(secret: Obj) -> DockerConfig:
    """Read a ``kubernetes.io/dockerconfigjson`` or ``kubernetes.io/dockercfg`` secret.

    >>> doc = base64.b64encode(b'{"auths": {"r.io": {"auth": "dTpw"}}}').decode()
    >>> config = parse_pull_secret({"metadata": {"name": "s"},
    ...     "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": doc}})
    >>> [(c.key, c.username) for c in config.credentials], config.problems
    ([('r.io', 'u')], ())
    """
    name = name_of(secret)
    secret_type = str(secret.get("type") or "")
    data_key = PULL_SECRET_DATA_KEYS.get(secret_type)
    if data_key is None:
        return DockerConfig(name, problems=(f"type is {secret_type or 'Opaque'!r}, not a pull-secret type",))
    encoded = dig(secret, "data", data_key)
    if not isinstance(encoded, str) or not encoded:
        return DockerConfig(name, problems=(f"has no {data_key} key",))
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return DockerConfig(name, problems=(f"{data_key} is not valid base64",))
    try:
        document = json.loads(text)
    except ValueError as error:
        return DockerConfig(name, problems=(f"{data_key} is not valid JSON ({error.msg})",))
    if not isinstance(document, dict):
        return DockerConfig(name, problems=(f"{data_key} is not a JSON object",))
    if secret_type == DOCKERCONFIGJSON_TYPE:
        if "auths" not in document:
            return DockerConfig(name, problems=(f'{data_key} has no "auths" object',))
        entries = document["auths"]
        if not isinstance(entries, dict):
            return DockerConfig(name, problems=(f'"auths" in {data_key} is not an object',))
    else:
        entries = document
    return _parse_entries(name, entries, legacy=secret_type == DOCKERCFG_TYPE)


def _parse_entries(secret_name: str, entries: Dict[str, Any], legacy: bool) -> DockerConfig:
    credentials: List[RegistryCredential] = []
    problems: List[str] = []
    for key, entry in entries.items():
        if legacy and key == "auths":
            problems.append('has an "auths" key: a .dockerconfigjson document in a dockercfg secret')
            continue
        if not isinstance(entry, dict):
            problems.append(f"entry {key!r} is not an object")
            continue
        credential, problem = _parse_entry(secret_name, key, entry)
        if problem:
            problems.append(problem)
        if credential:
            credentials.append(credential)
    if not credentials and not problems:
        problems.append("has no registry entries")
    return DockerConfig(secret_name, tuple(credentials), tuple(problems))


def _parse_entry(
    secret_name: str, key: str, entry: Dict[str, Any]
) -> Tuple[Optional[RegistryCredential], str]:
    """Like the kubelet's DockerConfigEntry.UnmarshalJSON: ``auth`` wins over the plain fields."""
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None, f"entry {key!r}: auth is not valid base64"
        username, colon, password = decoded.partition(":")
        if not colon:
            return None, f"entry {key!r}: auth is not base64 of user:password"
        return RegistryCredential(key, username, password, secret_name), ""
    username, password = entry.get("username"), entry.get("password")
    if isinstance(username, str) and isinstance(password, str) and (username or password):
        return RegistryCredential(key, username, password, secret_name), ""
    return None, f"entry {key!r} has neither auth nor username and password"


# --- expiry ------------------------------------------------------------------------------


def credential_expiry(credential: RegistryCredential) -> Optional[datetime]:
    """When a short-lived password stops working: an ECR token's or a JWT's expiry.

    ECR passwords are base64 JSON with an ``expiration`` epoch; JWTs carry ``exp``.
    Anything else (a static password, a PAT) has no knowable expiry: None.

    >>> token = base64.b64encode(b'{"payload": "x", "expiration": 1700000000}').decode()
    >>> credential_expiry(RegistryCredential("r", "AWS", token)).isoformat()
    '2023-11-14T22:13:20+00:00'
    """
    password = credential.password.strip()
    claims = _jwt_claims(password) if password.count(".") == 2 else _ecr_claims(password)
    if claims is None:
        return None
    moment = claims.get("exp") if "exp" in claims else claims.get("expiration")
    if isinstance(moment, str) and moment.isdigit():
        moment = int(moment)
    if isinstance(moment, bool) or not isinstance(moment, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(moment, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _decode_json(text: str, urlsafe: bool) -> Optional[Dict[str, Any]]:
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _jwt_claims(password: str) -> Optional[Dict[str, Any]]:
    return _decode_json(password.split(".")[1], urlsafe=True)


def _ecr_claims(password: str) -> Optional[Dict[str, Any]]:
    claims = _decode_json(password, urlsafe=False)
    return claims if claims is not None and "expiration" in claims else None


def expired_at(credential: RegistryCredential, now: datetime) -> Optional[datetime]:
    """The expiry of ``credential`` if it has passed by ``now``, else None."""
    expiry = credential_expiry(credential)
    return expiry if expiry is not None and expiry <= now else None
