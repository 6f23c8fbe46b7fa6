"""The ordered table of pull-error wordings: one row per wording, the first match wins.

Each row names whose wording it matches (runtime, registry), so it can be checked against
the sources. Three wordings fit two causes; their rows carry a decider that settles the
cause from the image's registry and whether the pod sends pull secrets, and records the
ambiguity and what would tell the causes apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional, Pattern, Tuple

from ..causes import (
    IMAGE_NEVER_PULLED,
    IMAGE_NOT_FOUND,
    INVALID_IMAGE_NAME,
    LAYER_DOWNLOAD_FAILED,
    NODE_DISK_FULL,
    PLATFORM_MISMATCH,
    PULL_FAILED,
    REGISTRY_ACCESS_DENIED,
    REGISTRY_AUTH_REQUIRED,
    REGISTRY_CREDENTIALS_EXPIRED,
    REGISTRY_DNS_FAILURE,
    REGISTRY_RATE_LIMITED,
    REGISTRY_SERVER_ERROR,
    REGISTRY_TLS_ERROR,
    REGISTRY_UNREACHABLE,
    SIGNATURE_VALIDATION_FAILED,
)
from .imageref import DOCKERHUB, GHCR, QUAY, ImageRef

# When one message aggregates several attempts (the kubelet tries each pull secret in turn and
# joins the errors as "[err1, err2]"), the most specific cause wins.
SPECIFICITY = (
    SIGNATURE_VALIDATION_FAILED, NODE_DISK_FULL, PLATFORM_MISMATCH, INVALID_IMAGE_NAME,
    IMAGE_NEVER_PULLED, REGISTRY_CREDENTIALS_EXPIRED, IMAGE_NOT_FOUND, REGISTRY_ACCESS_DENIED,
    REGISTRY_RATE_LIMITED, REGISTRY_AUTH_REQUIRED, LAYER_DOWNLOAD_FAILED, REGISTRY_TLS_ERROR,
    REGISTRY_DNS_FAILURE, REGISTRY_SERVER_ERROR, REGISTRY_UNREACHABLE, PULL_FAILED,
)

# Where registries send layer downloads (a 307 to a signed URL): the host in such an error is not
# the registry, and a firewall that allows only the registry's host is the usual cause. Docker Hub:
# production.cloudflare.docker.com and docker-images-prod.*.r2.cloudflarestorage.com (earlier
# *.cloudfront.net); ECR: prod-REGION-starport-layer-bucket.s3.REGION.amazonaws.com; registry.k8s.io:
# prod-registry-k8s-io-REGION.s3.dualstack.REGION.amazonaws.com; GHCR: pkg-containers.githubusercontent.com;
# Quay: cdn*.quay.io; gcr.io: storage.googleapis.com; MCR/ACR: *.blob.core.windows.net, *.data.azurecr.io.
LAYER_STORAGE_HOSTS: Tuple[Tuple[Pattern[str], str], ...] = tuple(
    (re.compile(regex, re.IGNORECASE), name) for regex, name in (
        (r"\.r2\.cloudflarestorage\.com$", "Cloudflare R2 storage"),
        (r"(?:^|\.)s3[.-](?:[\w-]+\.)*amazonaws\.com(?:\.cn)?$", "Amazon S3"),
        (r"(?:^|\.)storage\.googleapis\.com$", "Google Cloud Storage"),
        (r"\.blob\.core\.windows\.net$|\.blob\.storage\.azure\.net$", "Azure Blob Storage"),
        (r"\.data\.azurecr\.io$", "an Azure Container Registry data endpoint"),
        (r"\.data\.mcr\.microsoft\.com$", "the Microsoft Container Registry's data endpoint"),
        (r"\.cloudfront\.net$|^production\.cloudfront\.docker\.com$", "the Amazon CloudFront CDN"),
        (r"^production\.cloudflare\.docker\.com$", "Docker Hub's Cloudflare CDN"),
        (r"^pkg-containers\.githubusercontent\.com$", "GitHub's package storage"),
        (r"^cdn\d*\.quay\.io$", "Quay's CDN"),
        (r"\.oss-[\w-]+\.aliyuncs\.com$", "Alibaba Cloud OSS"),
    )
)


def layer_storage(host: Optional[str]) -> Optional[str]:
    """What serves a host that registries redirect layer downloads to; None for any other host.

    >>> layer_storage("docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com")
    'Cloudflare R2 storage'
    >>> layer_storage("prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"), layer_storage("ghcr.io")
    ('Amazon S3', None)
    """
    name = (host or "").split(":")[0].lower()
    return next((storage for regex, storage in LAYER_STORAGE_HOSTS if regex.search(name)), None)


@dataclass(frozen=True)
class Ambiguity:
    """The message fits more than one cause; which was chosen, why, and how to be sure."""

    alternatives: Tuple[str, ...]
    reason: str
    tell_apart: str


# (the image, whether the pod sends credentials, the unwrapped message) -> (cause, ambiguity)
Decider = Callable[[Optional[ImageRef], Optional[bool], str], Tuple[str, Optional[Ambiguity]]]


@dataclass(frozen=True)
class PullPattern:
    """One row of the table: a regex over the unwrapped message and the cause it means."""

    name: str
    cause: str
    regex: Pattern[str]
    wording: str  # whose wording this matches, so the table can be checked against sources
    decide: Optional[Decider] = None


def _tell_apart(ref: Optional[ImageRef]) -> str:
    image = ref.fully_qualified if ref and ref.valid else "the image"
    host = ref.registry if ref and ref.valid else "the registry"
    return (
        f"`kubectl pullmedic why` with `--probe` asks {host}, with the pod's pull secrets, "
        f"whether the image exists; or, with credentials that can read "
        f"it, run `docker login {host}` then `docker pull {image}`: if that pulls, the pod lacks "
        "credentials; if it says not found, the name or tag is wrong"
    )


def _decide_private_or_missing(ref: Optional[ImageRef], has_secrets: Optional[bool],
                               evidence: str) -> Tuple[str, Optional[Ambiguity]]:
    """GHCR, Quay and Harbor (and a registry that says no more than "denied") refuse a repository the
    caller may not read and one that does not exist alike: both readings stay on the table."""
    host = ref.registry if ref and ref.valid else "the registry"
    if has_secrets:
        return REGISTRY_ACCESS_DENIED, Ambiguity(
            (IMAGE_NOT_FOUND,),
            f"{host} gives the same denial for a repository the pod's credentials may not read and for one that "
            "does not exist",
            _tell_apart(ref),
        )
    known = "has no pull secrets" if has_secrets is False else "may have no pull secrets (not checked)"
    return REGISTRY_AUTH_REQUIRED, Ambiguity(
        (IMAGE_NOT_FOUND,),
        f"{host} refuses an anonymous pull of a private repository and of a missing one alike; the pod {known}",
        _tell_apart(ref),
    )


def _decide_denied_or_missing(ref: Optional[ImageRef], has_secrets: Optional[bool],
                              evidence: str) -> Tuple[str, Optional[Ambiguity]]:
    """Docker Hub (and Quay, GHCR) answer alike for a missing repository and a private one."""
    tell_apart = _tell_apart(ref)
    if ref and ref.is_official:
        return IMAGE_NOT_FOUND, None  # official images are all public: a denial means no such name
    if has_secrets:
        return IMAGE_NOT_FOUND, Ambiguity(
            (REGISTRY_ACCESS_DENIED,),
            "the pod sends pull secrets and the registry still denies the repository: either it does "
            "not exist or these credentials may not read it",
            tell_apart,
        )
    known = "has no pull secrets" if has_secrets is False else "may have no pull secrets (not checked)"
    if ref and ref.valid and ref.family == DOCKERHUB:
        return IMAGE_NOT_FOUND, Ambiguity(
            (REGISTRY_AUTH_REQUIRED,),
            f"Docker Hub answers the same for a missing repository and a private one; the pod {known}, "
            "and images pulled without credentials are usually public, so a wrong name is likelier",
            tell_apart,
        )
    return REGISTRY_AUTH_REQUIRED, Ambiguity(
        (IMAGE_NOT_FOUND,),
        f"the registry answers the same for a missing repository and a private one; the pod {known}, "
        "and private registries usually require credentials",
        tell_apart,
    )


def _decide_anonymous_token(ref: Optional[ImageRef], has_secrets: Optional[bool],
                              evidence: str) -> Tuple[str, Optional[Ambiguity]]:
    """GHCR refuses an anonymous token alike for a private package and for one that does not exist."""
    if ref is None or not ref.valid or ref.family != GHCR:
        return REGISTRY_AUTH_REQUIRED, None
    return REGISTRY_AUTH_REQUIRED, Ambiguity(
        (IMAGE_NOT_FOUND,),
        "ghcr.io refuses an anonymous pull of a private package and of a package that does not exist alike",
        f"`kubectl pullmedic why` with `--probe` asks ghcr.io whether the package exists; or open "
        f"https://github.com/{ref.repository.split('/')[0]}?tab=packages signed in, or run "
        f"`docker login ghcr.io` then `docker pull {ref.fully_qualified}`",
    )


def _decide_forbidden(ref: Optional[ImageRef], has_secrets: Optional[bool],
                      evidence: str) -> Tuple[str, Optional[Ambiguity]]:
    """A 403 is a plain denial, except from GHCR and Quay, which also answer it for packages that do not exist."""
    if ref is not None and ref.valid and ref.family in (GHCR, QUAY) and "/blobs/" not in evidence:
        return _decide_private_or_missing(ref, has_secrets, evidence)
    return REGISTRY_ACCESS_DENIED, None


def _gcp_maybe_missing(cause: str, ref: Optional[ImageRef], evidence: str) -> Tuple[str, Optional[Ambiguity]]:
    """Artifact Registry (which also serves gcr.io) says itself when a repository "may not exist"."""
    if "(or it may not exist)" not in evidence:
        return cause, None
    location = ref.registry if ref and ref.valid else "LOCATION-docker.pkg.dev"
    repository = "/".join(ref.repository.split("/")[:2]) if ref and ref.valid else "PROJECT/REPOSITORY"
    return cause, Ambiguity(
        (IMAGE_NOT_FOUND,),
        "Artifact Registry refuses a repository it cannot find the same way as one the caller may not "
        "read (\"or it may not exist\")",
        f"`gcloud artifacts docker images list {location}/{repository}` with an account that can read it",
    )


def _decide_gcp_unauthenticated(ref: Optional[ImageRef], has_secrets: Optional[bool],
                                evidence: str) -> Tuple[str, Optional[Ambiguity]]:
    return _gcp_maybe_missing(REGISTRY_AUTH_REQUIRED, ref, evidence)


def _decide_artifact_registry(ref: Optional[ImageRef], has_secrets: Optional[bool],
                              evidence: str) -> Tuple[str, Optional[Ambiguity]]:
    return _gcp_maybe_missing(REGISTRY_ACCESS_DENIED, ref, evidence)


def _p(name: str, cause: str, regex: str, wording: str, decide: Optional[Decider] = None) -> PullPattern:
    return PullPattern(name, cause, re.compile(regex, re.IGNORECASE), wording, decide)


# Ordered: the first match wins. Specific wordings come before the generic HTTP statuses they
# contain (an expired ECR token is also a "denied", a DNS timeout also an "i/o timeout").
PATTERNS: Tuple[PullPattern, ...] = (
    _p("malformed-secret", PULL_FAILED, r"illegal base64 data at input byte",
       "kubelet (pkg/credentialprovider): a pull secret's auth field or document is not valid base64, "
       "so no pull happens at all"),
    _p("never-pull", IMAGE_NEVER_PULLED, r"is not present with pull policy of Never",
       "kubelet ErrImageNeverPull event and waiting message"),
    _p("invalid-name", INVALID_IMAGE_NAME,
       r"couldn't parse image (?:name|reference)|Failed to apply default image tag|invalid reference format",
       "kubelet InspectFailed (distribution/reference errors); runtimes' reference parsers"),
    _p("signature", SIGNATURE_VALIDATION_FAILED,
       r"^SignatureValidationFailed|signature validation failed|Source image rejected|"
       r"signature was required|None of the signatures were accepted",
       "CRI-O policy.json (containers/image), kubelet >= 1.29 SignatureValidationFailed"),
    _p("disk-full", NODE_DISK_FULL, r"no space left on device|disk quota exceeded",
       "containerd/CRI-O/Docker layer extraction (ENOSPC)"),
    _p("ca-file-missing", REGISTRY_TLS_ERROR,
       r"open /etc/(?:docker|containerd|containers)/certs\.d/\S+: no such file or directory",
       "Docker (open /etc/docker/certs.d/HOST/ca.crt: no such file or directory): the node's registry CA "
       "file, or the file a symlink there points to, is missing"),
    _p("signed-url-expired", LAYER_DOWNLOAD_FAILED,
       r"Request has expired|Signature not valid in the specified time frame|Signed expiry time|"
       r"SignatureDoesNotMatch|request signature we calculated does not match",
       "S3/R2 (<Code>AccessDenied</Code><Message>Request has expired</Message>), Azure Blob "
       "(AuthenticationFailed: Signature not valid in the specified time frame): a layer's signed URL"),
    _p("cdn-refused", LAYER_DOWNLOAD_FAILED,
       r"CloudFront distribution is configured to block access|Generated by cloudfront",
       "Amazon CloudFront's own 403 page in front of a registry's layers (Docker: error parsing HTTP 403 "
       "response body: ... Generated by cloudfront)"),
    _p("platform", PLATFORM_MISMATCH,
       r"no match for platform in manifest|no matching manifest for [^\n]+? in the manifest list|"
       r"no image found in (?:manifest list|image index) for architecture|"
       r"does not match the specified platform|image operating system \"?\w+\"? cannot be used on this platform",
       "containerd (no match for platform), Docker (no matching manifest for linux/arm64/v8; for windows/amd64 "
       "10.0.17763 on Windows nodes), "
       "CRI-O (no image found in manifest list for architecture ...)"),
    _p("rate-limit", REGISTRY_RATE_LIMITED,
       r"toomanyrequests|429 Too Many Requests|HTTP status:? 429|pull rate limit|rate limit exceeded|"
       r"rate exceeded|Status 429 trying to pull|Error 429 \(Too Many Requests\)",
       "Docker Hub TOOMANYREQUESTS (all runtimes), any registry's HTTP 429, Docker 1.x v1 (Error: Status "
       "429 trying to pull repository)"),
    _p("credentials-expired", REGISTRY_CREDENTIALS_EXPIRED,
       r"(?:authorization|security|access|auth) token (?:has|is) expired|token has expired|"
       r"credentials? (?:has|have) expired|ExpiredToken",
       "ECR (Your authorization token has expired. Reauthenticate and try again.), STS"),
    _p("no-credentials", REGISTRY_AUTH_REQUIRED, r"no basic auth credentials",
       "containerd/Docker when a registry (typically ECR) asks for basic auth and none is configured"),
    _p("tls-handshake-timeout", REGISTRY_UNREACHABLE, r"TLS handshake timeout",
       "Go net/http: the connection opened but the registry (or a proxy) never answered"),
    _p("http-to-https", REGISTRY_TLS_ERROR, r"server gave HTTP response to HTTPS client",
       "Go net/http against a plain-HTTP registry (all runtimes)"),
    _p("tls", REGISTRY_TLS_ERROR,
       r"x509:|\btls: |certificate (?:signed by unknown authority|has expired|is not valid|is valid for)|"
       r"first record does not look like a TLS handshake|unknown certificate authority",
       "Go crypto/tls and crypto/x509 (all runtimes)"),
    _p("dns", REGISTRY_DNS_FAILURE,
       r"\blookup \S+(?: on \S+)?: |no such host|Temporary failure in name resolution|"
       r"Name or service not known|server misbehaving|could not resolve host|"
       r"no data of the requested type was found|temporary error during hostname resolution",
       "Go resolver (dial tcp: lookup HOST on IP:53: no such host), all runtimes; Windows nodes (No such host "
       "is known; The requested name is valid, but no data of the requested type was found)"),
    _p("server-error", REGISTRY_SERVER_ERROR,
       r"\b5\d\d (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out|[A-Z]\w+)|"
       r"HTTP status:? 5\d\d|error parsing HTTP 5\d\d response|status code 5\d\d|"
       r"Service Unavailable|Internal Server Error|Bad Gateway|Gateway Time-?out",
       "containerd (unexpected status ...: 503 Service Unavailable), Docker/CRI-O "
       "(received unexpected HTTP status: 500 Internal Server Error)"),
    _p("unreachable", REGISTRY_UNREACHABLE,
       r"connection refused|connection reset|i/o timeout|deadline exceeded|Client\.Timeout exceeded|"
       r"request canceled|network is unreachable|no route to host|proxyconnect|broken pipe|"
       r"operation timed out|connection timed out|unexpected EOF|: EOF\b|no progress in|"
       r"because the registry is unavailable|actively refused it|did not properly respond after a period of time|"
       r"forcibly closed by the remote host|\bwsarecv\b|\bwsasend\b|\bconnectex\b",
       "Go net (dial tcp IP:443: connect: connection refused / i/o timeout), containerd "
       "(cancel pulling image because of no progress), kubelet RegistryUnavailable; Windows nodes (connectex: "
       "A connection attempt failed ..., wsarecv: An existing connection was forcibly closed by the remote host)"),
    _p("inspect-failed", PULL_FAILED, r"^Failed to inspect image",
       "kubelet ImageInspectError: the runtime could not read its local copy of the image"),
    _p("local-content-missing", PULL_FAILED,
       r"failed to get reader from content store|failed to unpack image on snapshotter \S+: content digest|"
       r"no processor for media type",
       "containerd's own content store or unpacker on the node (content digest sha256:...: not found after "
       "the download; no processor for media type): not the registry's not-found"),
    _p("missing-blob", PULL_FAILED,
       r"content descriptor \S+ .*not found|blob unknown|BLOB_UNKNOWN",
       "containerd / registries when a layer the manifest names is missing (a registry-side fault)"),
    _p("iam-denied", REGISTRY_ACCESS_DENIED, r"is not authorized to perform|AccessDenied",
       "ECR / AWS IAM (User: arn:aws:sts::...:assumed-role/... is not authorized to perform: ecr:BatchGetImage)"),
    _p("denied-or-missing", IMAGE_NOT_FOUND,
       r"pull access denied|repository does not exist or may require|"
       r"requested access to the resource is denied|does not exist or no pull access|insufficient_scope|"
       r"access to the requested resource is not authorized|Status 40[13] trying to pull repository|"
       r"(?:^|: )image (?!\")[\w./:@-]+ not found$",
       "Docker Hub via containerd (pull access denied, ... insufficient_scope) and Docker "
       "(may require 'docker login'), CRI-O (requested access to the resource is denied), Quay; Docker 1.x "
       "v1 pulls (Error: Status 403 trying to pull repository R; Error: image R:T not found)",
       _decide_denied_or_missing),
    _p("bare-denied", REGISTRY_AUTH_REQUIRED,
       r"(?:^|:\s*)denied(?::\s*denied)?\s*$|permission_denied: read_package",
       "GHCR (Head \"https://ghcr.io/v2/.../manifests/T\": denied: denied; denied: permission_denied: "
       "read_package): no more said for a private package than for a missing one",
       _decide_private_or_missing),
    _p("gcp-unauthenticated", REGISTRY_AUTH_REQUIRED, r"Unauthenticated requests do not have permission",
       "Artifact Registry / gcr.io when no credentials were sent (denied: Unauthenticated requests do not have "
       "permission ...)", _decide_gcp_unauthenticated),
    _p("artifact-registry-denied", REGISTRY_ACCESS_DENIED,
       r"Permission \"?artifactregistry\.\S+\"? denied|\(or it may not exist\)",
       "Google Artifact Registry / gcr.io (denied: Permission ... denied on resource ... (or it may not exist))",
       _decide_artifact_registry),
    _p("harbor-unauthorized", REGISTRY_AUTH_REQUIRED,
       r"unauthorized to access repository",
       "Harbor (unauthorized: unauthorized to access repository: P/R, action: pull), alike for a private "
       "project and a repository that does not exist",
       _decide_private_or_missing),
    _p("not-found", IMAGE_NOT_FOUND,
       r"manifest unknown|name unknown|not found|404 Not Found|does not exist|NAME_UNKNOWN|"
       r"Requested image not found|was deleted or has expired",
       "containerd (REF: not found), Docker (manifest for X not found: manifest unknown), CRI-O "
       "(reading manifest T in R: manifest unknown), ECR (Requested image not found), Harbor "
       "(artifact ... not found), Quay (Tag T was deleted or has expired)"),
    _p("anonymous-token", REGISTRY_AUTH_REQUIRED, r"failed to fetch anonymous token",
       "containerd: the registry refused a token to an anonymous client (ACR, GAR; GHCR with 403 for a "
       "private or missing package)", _decide_anonymous_token),
    _p("forbidden", REGISTRY_ACCESS_DENIED,
       r"403 Forbidden|HTTP status:? 403|error parsing HTTP 403|\bforbidden\b|\bdenied: |Permission denied",
       "containerd (unexpected status ...: 403 Forbidden), GitLab (denied: access forbidden), "
       "GCR (denied: Permission denied for ...); GHCR and Quay answer 403 for missing packages too",
       _decide_forbidden),
    _p("unauthorized", REGISTRY_AUTH_REQUIRED,
       r"401 Unauthorized|HTTP status:? 401|\bunauthorized\b|authentication required|"
       r"incorrect username or password|invalid username/password|HTTP Basic: Access denied|"
       r"authorization failed|failed to fetch oauth token",
       "Docker/CRI-O (unauthorized: authentication required), containerd (failed to fetch oauth "
       "token ... 401 Unauthorized), GitLab (HTTP Basic: Access denied)"),
)

