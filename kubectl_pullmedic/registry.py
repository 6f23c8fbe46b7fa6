"""``--probe``: ask the registry itself, from this machine, whether an image can be pulled.

The only module that talks to container registries. It follows the Docker Registry HTTP
API v2 / OCI distribution flow a runtime follows: ``GET /v2/`` and its ``WWW-Authenticate``
challenge (Basic, or Bearer through the token realm with ``service`` and a
``repository:<name>:pull`` scope), then ``HEAD`` the manifest with the OCI and Docker media
types; on a miss it lists ``/v2/<name>/tags/list`` for suggestions, and for an image index
it reads the platforms.

Where credentials may go (:func:`credential_refusal`):
  * to an ``https`` URL, TLS verified against the system CAs plus ``ca_file``: the registry,
    or the token realm it names, on whatever host (as Docker and containerd do);
  * to a plain ``http`` URL only when that URL's host is the registry's own host and that
    host is loopback or named in ``insecure_registries``. Anything else is withheld and the
    probe goes on anonymously.
Plain HTTP is tried at all only for such hosts, and only when the server does not speak TLS;
a certificate that fails verification is reported, never bypassed. Redirects are not
followed. No result holds a password, token or ``Authorization`` value.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlencode, urlsplit

import urllib3

from .core.imageref import parse_image
from .core.registryrules import (
    INDEX_TYPES,
    MANIFEST_ACCEPT,
    closest_tags,
    credential_refusal,
    error_summary,
    parse_challenge,
    plain_http_allowed,
    platform_names,
    platform_present,
    registry_endpoint,
)

NETWORK_NOTE = (
    "probed from this machine, whose network, DNS, proxy and firewall are not the node's: "
    "what reaches the registry here may not reach it from the node, and the reverse"
)
_MAX_TAG_PAGES = 20


@dataclass
class ProbeResult:
    """What the registry said about one image; JSON-ready through ``to_dict``."""

    image: str
    registry: str = ""  # the host:port contacted, e.g. registry-1.docker.io
    repository: str = ""
    reference: str = ""  # the tag or digest asked for
    reachable: bool = False
    tls_ok: Optional[bool] = None  # None when TLS was not used (plain HTTP) or not reached
    auth: str = ""  # accepted | refused | anonymous | not-needed | withheld
    manifest_found: Optional[bool] = None
    missing: str = ""  # tag | repository | digest
    suggestions: List[str] = field(default_factory=list)
    platforms: List[str] = field(default_factory=list)  # of an image index: os/arch[/variant]
    platform_ok: Optional[bool] = None
    media_type: str = ""
    digest: str = ""
    error: str = ""  # one line; the first problem met
    note: str = NETWORK_NOTE

    def fail(self, message: str) -> None:
        if not self.error:
            self.error = message

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


class _Unreachable(Exception):
    """The registry could not be asked: ``kind`` is network, tls (handshake) or untrusted (certificate)."""

    def __init__(self, message: str, kind: str = "network") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


# --- the conversation --------------------------------------------------------------------------


class _Client:
    """One registry's base URL, TLS settings and the Authorization header it earned."""

    def __init__(
        self, host: str, ssl_context: ssl.SSLContext, timeout: float, plain_http_allowed: bool
    ) -> None:
        self.host = host
        self.scheme = "https"
        self.authorization = ""
        self._plain_http_allowed = plain_http_allowed
        self._pool = urllib3.PoolManager(ssl_context=ssl_context, retries=False)
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def fetch(
        self, method: str, url: str, headers: Optional[Dict[str, str]] = None
    ) -> urllib3.BaseHTTPResponse:
        """A request to any URL; the caller decides which headers (credentials) go with it."""
        try:
            return self._pool.request(
                method, url, headers=headers or {}, redirect=False, timeout=self._timeout
            )
        except urllib3.exceptions.SSLError as error:
            cause = error.args[0] if error.args else error
            netloc = urlsplit(url).netloc
            if isinstance(cause, ssl.SSLCertVerificationError):
                detail = cause.verify_message or str(cause)
                raise _Unreachable(
                    f"the TLS certificate of {netloc} is not trusted here: {detail}", "untrusted"
                ) from error
            detail = getattr(cause, "reason", "") or str(cause)
            raise _Unreachable(f"TLS with {netloc} failed: {detail}", "tls") from error
        except urllib3.exceptions.HTTPError as error:
            raise _Unreachable(f"cannot reach {urlsplit(url).netloc}: {_network_reason(error)}") from error

    def registry(self, method: str, path: str, accept: str = "") -> urllib3.BaseHTTPResponse:
        headers = {"Accept": accept} if accept else {}
        if self.authorization:
            headers["Authorization"] = self.authorization
        return self.fetch(method, self.base + path, headers)

    def ping(self) -> urllib3.BaseHTTPResponse:
        """GET /v2/, falling back to plain HTTP for loopback/insecure hosts that do not speak TLS."""
        try:
            return self.registry("GET", "/v2/")
        except _Unreachable as failure:
            if failure.kind != "tls" or not self._plain_http_allowed:
                raise
        self.scheme = "http"
        return self.registry("GET", "/v2/")


def _network_reason(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.NameResolutionError):
        return "DNS lookup failed"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "connection refused or no route"
    if isinstance(error, (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError)):
        return "timed out"
    return type(error).__name__


def _ssl_context(ca_file: Optional[str]) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def probe_image(
    image: str,
    credentials: Optional[Tuple[str, str]] = None,
    *,
    platform: Optional[Tuple[str, str]] = None,
    ca_file: Optional[str] = None,
    insecure_registries: Sequence[str] = (),
    timeout: float = 10,
) -> ProbeResult:
    """Ask the image's registry whether ``image`` can be pulled with ``credentials``."""
    ref = parse_image(image)
    result = ProbeResult(image)
    if not ref.valid:
        result.fail(f"not a valid image reference: {ref.error}")
        return result
    host = registry_endpoint(ref.registry)
    result.registry, result.repository = host, ref.repository
    result.reference = ref.digest or ref.tag or ""
    client = _Client(host, _ssl_context(ca_file), timeout, plain_http_allowed(host, insecure_registries))
    try:
        ping = client.ping()
        result.reachable = True
        result.tls_ok = True if client.scheme == "https" else None
        _authenticate(client, ping, credentials, ref.repository, insecure_registries, result)
        if result.auth != "refused":
            _check_manifest(client, ref.repository, result, platform)
    except _Unreachable as failure:
        if failure.kind != "network":
            result.reachable, result.tls_ok = True, False
        hint = (
            "; trust its CA with --registry-ca FILE (the node's runtime needs it too)"
            if failure.kind == "untrusted"
            else ""
        )
        result.fail(failure.message + hint)
    return result


def _authenticate(
    client: _Client,
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
        refusal = credential_refusal(client.base, client.host, insecure)
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
    client: _Client,
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
    query = {"scope": f"repository:{repository}:pull"}
    if params.get("service"):
        query["service"] = params["service"]
    headers: Dict[str, str] = {}
    user = credentials[0] if credentials else ""
    if credentials:
        refusal = credential_refusal(realm, client.host, insecure)
        if refusal:
            result.auth = "withheld"
            result.fail(refusal)
        else:
            headers["Authorization"] = _basic(credentials)
    response = client.fetch("GET", realm + ("&" if "?" in realm else "?") + urlencode(query), headers)
    anonymous = "Authorization" not in headers
    if response.status in (401, 403):
        result.auth = result.auth or ("anonymous" if anonymous else "refused")
        who = "anonymous access" if anonymous else f'the credentials of user "{user}"'
        result.fail(f"the token service {urlsplit(realm).netloc} refused {who} (HTTP {response.status})")
        return
    try:
        body = json.loads(response.data.decode("utf-8"))
    except ValueError:
        body = {}
    token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
    if response.status != 200 or not isinstance(token, str):
        result.auth = result.auth or "anonymous"
        result.fail(
            f"the token service {urlsplit(realm).netloc} answered HTTP {response.status} without a token"
        )
        return
    client.authorization = "Bearer " + token
    result.auth = result.auth or ("anonymous" if anonymous else "accepted")


def _check_manifest(
    client: _Client, repository: str, result: ProbeResult, platform: Optional[Tuple[str, str]]
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
    if result.media_type in INDEX_TYPES:
        body = response.data if response.data else client.registry("GET", path, MANIFEST_ACCEPT).data
        try:
            result.platforms = platform_names(json.loads(body.decode("utf-8")))
        except (ValueError, AttributeError):
            result.fail("the image index is not valid JSON")
            return
        if platform:
            result.platform_ok = platform_present(result.platforms, platform)
            if not result.platform_ok:
                result.fail(
                    f"the image index has no {platform[0]}/{platform[1]} image "
                    f"(it has {', '.join(result.platforms) or 'none'}): the node cannot run it"
                )


def _explain_missing(client: _Client, repository: str, result: ProbeResult, name_unknown: bool) -> None:
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


def _list_tags(client: _Client, repository: str) -> Tuple[List[str], int]:
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
        tags.extend(str(tag) for tag in page)
        link = re.match(r"\s*<([^>]+)>\s*;\s*rel=\"?next\"?", str(response.headers.get("Link", "")))
        if not link or not link.group(1).startswith("/v2/"):
            break
        path = link.group(1)
    return tags, 200


def probe_many(
    requests: Sequence[Tuple[str, Optional[Tuple[str, str]], Optional[Tuple[str, str]]]],
    *,
    ca_file: Optional[str] = None,
    insecure_registries: Sequence[str] = (),
    timeout: float = 10,
    workers: int = 8,
) -> List[ProbeResult]:
    """Probe several (image, credentials, platform) at once; results in the order asked.

    Registries answer in tens to hundreds of milliseconds each, so a bounded pool keeps a
    namespace with dozens of images quick without flooding any one registry.
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(request: Tuple[str, Optional[Tuple[str, str]], Optional[Tuple[str, str]]]) -> ProbeResult:
        image, credentials, platform = request
        return probe_image(
            image, credentials, platform=platform, ca_file=ca_file, insecure_registries=insecure_registries, timeout=timeout
        )

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(requests) or 1))) as pool:
        return list(pool.map(one, requests))
