"""What credentials a pod sends for its image, as far as the listed secrets and accounts tell.

The kubelet reads only ``pod.spec.imagePullSecrets``. A service account's pull secrets reach
a pod only through admission, when the pod is created and only if the pod lists none, so an
account that gained a secret later does not help pods that already exist. Each state here is
built from names, types, registry keys and user names: never from a password or token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping, Optional, Tuple

from ..kube import Obj, as_list, dig, namespace_of, pull_secret_names, service_account_in
from .dockerconfig import DOCKERCFG_TYPE, DOCKERCONFIGJSON_TYPE, expired_at, parse_pull_secret
from .keyring import match_credentials

SecretKey = Tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class SecretState:
    """One pull secret named by the pod; None in a field means unknown: not fetched, or unreadable.

    ``unreadable`` says why a secret that was asked for could not be read (a 403): it is then
    neither present nor absent, and nothing is advised that assumes either.
    """

    name: str
    exists: Optional[bool] = None
    type: Optional[str] = None
    problems: Tuple[str, ...] = ()
    matches_registry: Optional[bool] = None
    near_miss: Optional[str] = None  # why the nearest entry does not cover the image
    expired: Optional[datetime] = None
    unreadable: Optional[str] = None
    nearest_key: Optional[str] = None  # the entry evidently meant for this registry that does not match
    # An absent secret's namesakes in other namespaces (read only when absent): the copy command takes it.
    elsewhere: Tuple[Obj, ...] = field(default=(), metadata={"document": False})

    DOCUMENT_KEYS = {"expired": "expiredAt"}

    @property
    def usable(self) -> Optional[bool]:
        """Whether the kubelet would send this secret's credentials for the image."""
        if self.exists is None:
            return None
        return bool(self.exists and not self.problems and self.matches_registry and self.expired is None)

    def describe(self, registry: str) -> str:
        """One clause in words, e.g. ``regcred: exists, dockerconfigjson, has an entry for ghcr.io``."""
        if self.unreadable:
            return f"{self.name}: could not be read ({self.unreadable})"
        if self.exists is None:
            return f"{self.name}: not checked"
        if not self.exists:
            return f"{self.name}: does not exist in this namespace"
        kind = (self.type or "").replace("kubernetes.io/", "") or "Opaque"
        if self.problems:
            return f"{self.name}: {kind}, unusable ({'; '.join(self.problems)})"
        if not self.matches_registry:
            reason = f" ({self.near_miss})" if self.near_miss else ""
            return f"{self.name}: {kind}, has no entry for {registry}{reason}"
        if self.expired is not None:
            return f"{self.name}: {kind}, its {registry} credentials expired at {self.expired.strftime('%Y-%m-%d %H:%M UTC')}"
        return f"{self.name}: {kind}, has an entry for {registry}"



@dataclass(frozen=True)
class PullCredentials:
    """The pod's pull secrets and its service account's, for one image."""

    secrets: Tuple[SecretState, ...]
    service_account: str
    account_secrets: Optional[Tuple[str, ...]]  # None when the account was not fetched or unreadable
    account_unreadable: Optional[str] = None  # why the account could not be read

    DOCUMENT_KEYS = {"secrets": "podSecrets", "account_secrets": "serviceAccountSecrets",
                     "account_unreadable": "serviceAccountUnreadable"}

    @property
    def unreadable_secrets(self) -> Tuple[SecretState, ...]:
        return tuple(state for state in self.secrets if state.unreadable)

    @property
    def sends_credentials(self) -> Optional[bool]:
        """True when some secret covers the image, False when none can, None when unknown."""
        if not self.secrets:
            return False
        usable = [state.usable for state in self.secrets]
        if any(usable):
            return True
        return None if None in usable else False

    @property
    def account_secrets_missed(self) -> Tuple[str, ...]:
        """Secrets the account lists that this pod never got (it was created before, or lists its own)."""
        if not self.account_secrets:
            return ()
        own = {state.name for state in self.secrets}
        return tuple(name for name in self.account_secrets if name not in own)



def pull_credentials(
    pod: Obj,
    image: str,
    secrets: Optional[Mapping[SecretKey, Obj]],
    service_accounts: Optional[Mapping[SecretKey, Obj]],
    now: datetime,
    unreadable: Mapping[str, Mapping[SecretKey, str]] = {},
) -> PullCredentials:
    """The state of every pull secret the pod names, checked against ``image``'s registry.

    ``secrets`` / ``service_accounts`` are None when they were not fetched; the states then
    say "not checked" rather than guess. ``unreadable["secrets"]`` and
    ``unreadable["serviceaccounts"]`` name the keys that were asked for and refused, with why.
    """
    namespace = namespace_of(pod)
    names = dict.fromkeys(pull_secret_names(pod))
    refused = unreadable.get("secrets", {})
    states = tuple(SecretState(name, unreadable=refused[(namespace, name)]) if (namespace, name) in refused
                   else _state(name, image, secrets, namespace, now) for name in names)
    account = service_account_in(dig(pod, "spec"))
    account_secrets: Optional[Tuple[str, ...]] = None
    account_refused = unreadable.get("serviceaccounts", {}).get((namespace, account))
    if service_accounts is not None and account_refused is None:
        account_obj = service_accounts.get((namespace, account))
        account_secrets = tuple(
            str(ref.get("name")) for ref in as_list(dig(account_obj, "imagePullSecrets")) if ref.get("name")
        )
    return PullCredentials(states, account, account_secrets, account_refused)


def _state(name: str, image: str, secrets: Optional[Mapping[SecretKey, Obj]], namespace: str,
           now: datetime) -> SecretState:
    if secrets is None:
        return SecretState(name)
    secret = secrets.get((namespace, name))
    if not isinstance(secret, dict):
        namesakes = tuple(found for (where, other), found in sorted(secrets.items(), key=lambda item: item[0])
                          if other == name and where != namespace and isinstance(found, dict))
        return SecretState(name, exists=False, elsewhere=namesakes)
    secret_type = str(secret.get("type") or "Opaque")
    if secret_type not in (DOCKERCONFIGJSON_TYPE, DOCKERCFG_TYPE):
        return SecretState(name, True, secret_type, (f"type {secret_type} is ignored by the kubelet",), False)
    config = parse_pull_secret(secret)
    if config.problems:
        return SecretState(name, True, secret_type, config.problems, False)
    match = match_credentials(image, config)
    if not match.matched:
        near = match.near_miss and match.nearest is not None
        return SecretState(name, True, secret_type, (), False, match.reason if near else None,
                           nearest_key=match.nearest.key if near and match.nearest else None)
    expiries = [expired_at(credential, now) for credential in match.credentials]
    expired = max(e for e in expiries if e is not None) if all(expiries) else None
    return SecretState(name, True, secret_type, (), True, None, expired)
