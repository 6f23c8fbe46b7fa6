"""``--probe``: ask the registry itself, from this machine, whether an image can be pulled.

With its HTTP side, ``registryclient``, the only module that talks to container registries.
It follows the Docker Registry HTTP API v2 / OCI distribution flow a runtime follows: ``GET /v2/`` and its ``WWW-Authenticate``
challenge (Basic, or Bearer through the token realm with ``service`` and a
``repository:<name>:pull`` scope), then ``HEAD`` the manifest with the OCI and Docker media
types; on a miss it lists ``/v2/<name>/tags/list`` for suggestions. Given the node's
os/arch it reads the platforms of an image index, or a single image's config blob.

Where credentials may go (:func:`credential_refusal`):
  * to an ``https`` URL, TLS verified against the system CAs plus ``ca_file``: the registry,
    or the token realm it names, on whatever host (as Docker and containerd do);
  * to a plain ``http`` URL only on the registry's own origin (a plain-HTTP registry: same
    host and port) when that host is loopback or named in ``insecure_registries``. Anything else is withheld and the
    probe goes on anonymously.
Plain HTTP is tried at all only for such hosts, and only when the server does not speak TLS;
a certificate that fails verification is reported, never bypassed. Redirects are not
followed, except a blob's (to its storage, without credentials). No result holds a password,
token or ``Authorization`` value.

Proxies: ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` choose the route per URL as the container
runtime's Go client does (:func:`proxy_for`); HTTPS goes through a CONNECT tunnel so TLS stays
end to end, and a proxy's own login is sent to it but never reported.
"""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlencode, urljoin

import urllib3

from ..core.pulls.imageref import parse_image
from ..core.probing.plan import ProbeTarget
from ..core.probing.results import ProbeResult
from ..core.probing.rules import (
    IMAGE_MANIFEST_TYPES,
    INDEX_TYPES,
    MANIFEST_ACCEPT,
    closest_tags,
    config_digest,
    credential_refusal,
    error_summary,
    parse_challenge,
    plain_http_allowed,
    platform_name,
    platform_names,
    platform_present,
    registry_endpoint,
    url_problem,
)
from .client import RegistryClient, Unreachable, shown_netloc, ssl_context_with

_MAX_TAG_PAGES = 20
_MAX_BLOB_REDIRECTS = 3


def probe_image(
    image: str,
    credentials: Optional[Tuple[str, str]] = None,
    *,
    platform: Optional[Tuple[str, str]] = None,
    ca_file: Optional[str] = None,
    insecure_registries: Sequence[str] = (),
    timeout: float = 10,
    environ: Optional[Mapping[str, str]] = None,
) -> ProbeResult:
    """Ask the image's registry whether ``image`` can be pulled with ``credentials``.

    ``platform`` is the node's (os, arch): an index must list it and a single image must be
    built for it. ``environ`` supplies the proxy variables (default: this process's).
    """
    ref = parse_image(image)
    result = ProbeResult(image, wanted_platform="/".join(platform) if platform else "")
    if not ref.valid:
        result.fail(f"not a valid image reference: {ref.error}")
        return result
    host = registry_endpoint(ref.registry)
    result.registry, result.repository = host, ref.repository
    result.reference = ref.digest or ref.tag or ""
    client = RegistryClient(host, ssl_context_with(ca_file), timeout, plain_http_allowed(host, insecure_registries),
                     os.environ if environ is None else environ)
    try:
        ping = client.ping()
        result.reachable = True
        result.tls_ok = True if client.scheme == "https" else None
        _authenticate(client, ping, credentials, ref.repository, insecure_registries, result)
        if result.auth != "refused":
            _check_manifest(client, ref.repository, result, platform)
    except Unreachable as failure:
        if failure.kind != "network":
            result.reachable, result.tls_ok = True, False
        hint = (
            "; trust its CA with --registry-ca FILE (the node's runtime needs it too)"
            if failure.kind == "untrusted"
            else ""
        )
        result.fail(failure.message + hint)
    result.proxy = client.proxy
    return result


# --- the conversation --------------------------------------------------------------------------


def _authenticate(
    client: RegistryClient,
    ping: urllib3.BaseHTTPResponse,
    credentials: Optional[Tuple[str, str]],
    repository: str,
    insecure: Sequence[str],
    result: ProbeResult,
) -> None:
    if ping.status == 200:
        result.auth = "not-needed"
        return
    if ping.status != 401:
        result.auth = "anonymous"
        result.fail(f"GET /v2/ answered HTTP {ping.status}: not a Docker/OCI registry API here?")
        return
    scheme, params = parse_challenge(", ".join(ping.headers.getlist("WWW-Authenticate")))
    if credentials and scheme == "basic":
        refusal = credential_refusal(client.base, client.host, insecure, client.scheme)
        if refusal:
            result.auth = "withheld"
            result.fail(refusal)
            credentials = None
    if scheme == "bearer":
        _bearer_token(client, params, credentials, repository, insecure, result)
    elif scheme == "basic" and credentials:
        client.authorization = _basic(credentials)
        accepted = client.registry("GET", "/v2/").status == 200
        result.auth = "accepted" if accepted else "refused"
        if not accepted:
            result.fail(f'the registry refused the credentials of user "{credentials[0]}"')
    else:
        result.auth = result.auth or "anonymous"
        if not scheme:
            result.fail("the registry asks for authentication with a scheme other than Basic or Bearer")


def _basic(credentials: Tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()


def _bearer_token(
    client: RegistryClient,
    params: Dict[str, str],
    credentials: Optional[Tuple[str, str]],
    repository: str,
    insecure: Sequence[str],
    result: ProbeResult,
) -> None:
    realm = params.get("realm", "")
    if not realm:
        result.fail("the registry's Bearer challenge names no token realm")
        return
    if url_problem(realm):
        result.auth = "anonymous"
        result.fail(f"the registry's token realm is not a usable URL ({url_problem(realm)})")
        return
    query = {"scope": f"repository:{repository}:pull"}
    if params.get("service"):
        query["service"] = params["service"]
    headers: Dict[str, str] = {}
    user = credentials[0] if credentials else ""
    if credentials:
        refusal = credential_refusal(realm, client.host, insecure, client.scheme)
        if refusal:
            result.auth = "withheld"
            result.fail(refusal)
        else:
            headers["Authorization"] = _basic(credentials)
    try:
        response = client.fetch("GET", realm + ("&" if "?" in realm else "?") + urlencode(query), headers)
    except Unreachable as failure:
        raise Unreachable(f"cannot ask the token realm the registry named: {failure.message}", failure.kind) from failure
    anonymous = "Authorization" not in headers
    if response.status in (401, 403):
        result.auth = result.auth or ("anonymous" if anonymous else "refused")
        who = "anonymous access" if anonymous else f'the credentials of user "{user}"'
        result.fail(f"the token service {shown_netloc(realm)} refused {who} (HTTP {response.status})")
        return
    try:
        body = json.loads(response.data.decode("utf-8"))
    except ValueError:
        body = {}
    token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
    if response.status != 200 or not isinstance(token, str):
        result.auth = result.auth or "anonymous"
        result.fail(
            f"the token service {shown_netloc(realm)} answered HTTP {response.status} without a token"
        )
        return
    client.authorization = "Bearer " + token
    result.auth = result.auth or ("anonymous" if anonymous else "accepted")


def _check_manifest(
    client: RegistryClient, repository: str, result: ProbeResult, platform: Optional[Tuple[str, str]]
) -> None:
    path = f"/v2/{repository}/manifests/{result.reference}"
    response = client.registry("HEAD", path, MANIFEST_ACCEPT)
    if response.status != 200 or not response.headers.get("Content-Type"):
        response = client.registry("GET", path, MANIFEST_ACCEPT)  # HEAD carries no error body
    if response.status in (401, 403):
        _, message = error_summary(response.data)
        status = f"HTTP {response.status}{': ' + message if message else ''}"
        if result.auth in ("anonymous", "withheld"):
            result.fail(
                f"the registry refused anonymous access to {repository} ({status}): "
                "it is private and needs credentials, or it does not exist"
            )
        else:
            result.fail(
                f"pull access to {repository} denied ({status}): the repository may not exist, "
                "or these credentials lack pull permission"
            )
        return
    if response.status == 404:
        result.manifest_found = False
        codes, _ = error_summary(response.data)
        _explain_missing(client, repository, result, "NAME_UNKNOWN" in codes)
        return
    if response.status != 200:
        _, message = error_summary(response.data)
        result.fail(
            f"the registry answered HTTP {response.status} for the manifest"
            + (f": {message}" if message else "")
        )
        return
    result.manifest_found = True
    result.media_type = str(response.headers.get("Content-Type", "")).split(";")[0].strip()
    result.digest = str(response.headers.get("Docker-Content-Digest", ""))
    if not platform:
        return  # a manifest GET counts as a pull against Docker Hub's rate limit; HEAD does not
    if result.media_type in INDEX_TYPES:
        body = response.data if response.data else client.registry("GET", path, MANIFEST_ACCEPT).data
        try:
            result.platforms = platform_names(json.loads(body.decode("utf-8")))
        except (ValueError, AttributeError):
            result.fail("the image index is not valid JSON")
            return
        what = f"the image index has no {platform[0]}/{platform[1]} image (it has {', '.join(result.platforms) or 'none'})"
    elif result.media_type in IMAGE_MANIFEST_TYPES:
        built_for = _image_platform(client, repository, path, response)
        if not built_for:
            return  # no readable config: say nothing rather than guess
        result.platforms = [built_for]
        what = f"the image is built for {built_for} only, not {platform[0]}/{platform[1]}"
    else:
        return
    result.platform_ok = platform_present(result.platforms, platform)
    if not result.platform_ok:
        result.fail(f"{what}: the node cannot run it")


def _image_platform(client: RegistryClient, repository: str, path: str, head: urllib3.BaseHTTPResponse) -> str:
    """A single-platform image's os/arch[/variant], read from its config blob."""
    body = head.data or client.registry("GET", path, MANIFEST_ACCEPT).data
    try:
        digest = config_digest(json.loads(body.decode("utf-8")))
    except (ValueError, AttributeError):
        return ""
    if not digest:
        return ""
    response = client.registry("GET", f"/v2/{repository}/blobs/{digest}")
    for _ in range(_MAX_BLOB_REDIRECTS):
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            break
        # Blobs often live in object storage behind a signed URL: follow it without credentials.
        # A runtime follows the same redirect, so one that cannot be followed fails the pull too.
        # The URL is not printed: a signed URL carries its signature.
        try:
            target = urljoin(client.base + path, location)
        except ValueError as error:
            target, problem = "", str(error).splitlines()[0] if str(error) else "not a URL"
        else:
            problem = url_problem(target)
        if problem:
            raise Unreachable(f"the registry redirected the image's config blob to a URL that cannot be requested "
                              f"({problem}): the node's runtime cannot download it either")
        try:
            response = client.fetch("GET", target)
        except Unreachable as failure:
            raise Unreachable(f"cannot read the image's config blob where the registry redirected it: {failure.message}",
                              failure.kind) from failure
    if response.status != 200:
        return ""
    try:
        return platform_name(json.loads(response.data.decode("utf-8")))
    except (ValueError, AttributeError):
        return ""


def _explain_missing(client: RegistryClient, repository: str, result: ProbeResult, name_unknown: bool) -> None:
    tags, status = _list_tags(client, repository)
    if name_unknown or status == 404:
        result.missing = "repository"
        result.fail(f"repository {repository} does not exist on {result.registry}")
        return
    result.missing = "digest" if ":" in result.reference else "tag"  # tags cannot hold ':'; digests always do
    if result.missing == "digest":
        result.fail(f"no manifest with digest {result.reference} in {repository}")
        return
    result.suggestions = closest_tags(result.reference, tags)
    hint = f"; did you mean {', '.join(result.suggestions)}?" if result.suggestions else ""
    result.fail(f"tag {result.reference} does not exist in {repository}{hint}")


def _list_tags(client: RegistryClient, repository: str) -> Tuple[List[str], int]:
    """All tags (following ``Link: <...>; rel="next"`` pages on the same registry) and the status."""
    tags: List[str] = []
    path = f"/v2/{repository}/tags/list"
    for _ in range(_MAX_TAG_PAGES):
        response = client.registry("GET", path)
        if response.status != 200:
            return tags, response.status
        try:
            page = json.loads(response.data.decode("utf-8")).get("tags") or []
        except (ValueError, AttributeError):
            return tags, response.status
        if not isinstance(page, list):
            return tags, response.status
        tags.extend(str(tag) for tag in page)
        link = re.match(r"\s*<([^>]+)>\s*;\s*rel=\"?next\"?", str(response.headers.get("Link", "")))
        if not link or not link.group(1).startswith("/v2/"):
            break
        path = link.group(1)
    return tags, 200


def probe_many(
    targets: Sequence[ProbeTarget],
    *,
    ca_file: Optional[str] = None,
    insecure_registries: Sequence[str] = (),
    timeout: float = 10,
    workers: int = 8,
    environ: Optional[Mapping[str, str]] = None,
) -> List[ProbeResult]:
    """Probe each target's image with its credentials and platform; results in the order given.

    Targets that would ask the same question share one answer. Registries answer in tens to
    hundreds of milliseconds each, so a bounded pool keeps a namespace with dozens of images
    quick without flooding any one registry.
    """
    from concurrent.futures import ThreadPoolExecutor

    unique = {target.request_key: target for target in reversed(targets)}

    def one(target: ProbeTarget) -> ProbeResult:
        try:
            return probe_image(target.image, target.credentials, platform=target.platform, ca_file=ca_file,
                               insecure_registries=insecure_registries, timeout=timeout, environ=environ)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
            # A registry's answer of a shape nothing here expects: that image's error, not the run's.
            result = ProbeResult(target.image)
            detail = (str(error).splitlines() or [""])[0][:200]
            result.fail(f"the probe stopped on an answer it could not read ({type(error).__name__}"
                        + (f": {detail})" if detail else ")"))
            return result

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique) or 1))) as pool:
        answers = dict(zip(unique, pool.map(one, unique.values())))
    return [answers[target.request_key] for target in targets]
