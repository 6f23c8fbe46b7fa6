"""Classify an image-pull error message into a cause code, keeping the registry's own words.

The same failure reaches the pod in many wrappings: the kubelet's ``Failed to pull image "x":``
event prefix, ``Back-off pulling image "x": ErrImagePull:`` in waiting messages (kubelet 1.32+),
the gRPC ``rpc error: code = X desc =`` envelope, and each runtime's own layers (containerd's
``failed to pull and unpack image`` / ``failed to resolve reference``, CRI-O's
``initializing source docker://...``, Docker's ``Error response from daemon:``). The wrappers
are peeled off first; what remains is matched against one ordered table,
``pullpatterns.PATTERNS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..causes import (
    IMAGE_NOT_FOUND, LAYER_DOWNLOAD_FAILED, PULL_FAILED, REGISTRY_ACCESS_DENIED, REGISTRY_DNS_FAILURE,
    REGISTRY_SERVER_ERROR, REGISTRY_TLS_ERROR, REGISTRY_UNREACHABLE, SIGNATURE_VALIDATION_FAILED,
)
from .imageref import DOCKERHUB, GHCR, QUAY, ImageRef, parse_image
from .wordings import PATTERNS, SPECIFICITY, Ambiguity, layer_storage


@dataclass(frozen=True)
class PullError:
    """A classified pull error. ``cause`` is None when the message carries no cause at all."""

    cause: Optional[str]
    evidence: str
    raw: str
    pattern: Optional[str] = None
    detail: Dict[str, Any] = field(default_factory=dict)
    ambiguity: Optional[Ambiguity] = None


# Wrappers around the registry's words, removed from the front of the message in any order.
_IMAGE_PREFIX_RE = re.compile(
    r'^(?:\(combined from similar events\):\s*)?(?:Failed to pull image|Back-off pulling image) "([^"]*)"(?::\s*|$)'
)
_KUBELET_ERROR_RE = re.compile(
    r"^(ErrImagePull|RegistryUnavailable|SignatureValidationFailed):\s*"
)
_GRPC_RE = re.compile(r"^rpc error: code = (\w+) desc = ")
_REFERENCE_WRAPPERS_RE = re.compile(
    r'^(?:failed to pull and unpack image|failed to pull image|failed to resolve reference|'
    r'failed to resolve image|failed to get sandbox image) "([^"]*)":\s*'
)
_CRIO_SOURCE_RE = re.compile(r"^(?:Error )?initializing source docker://(\S+?): ", re.IGNORECASE)
_OTHER_WRAPPERS_RE = re.compile(
    r"^(?:Error response from daemon:\s*|failed to resolve image: |"
    r"failed to copy: |httpReadSeeker: failed open: |Error: (?=\S))",
    re.IGNORECASE,
)
_KUBELET_EXPLANATION_RE = re.compile(
    r"^image pull failed for \S+ because the (registry is unavailable|signature validation failed):\s*(?=\S)"
)
# kubelet 1.x dockertools (pkg/kubelet/dockertools/docker.go): a guess wrapped around Docker's error
# for images with an explicit registry; the guess says nothing, the details are the error.
_DOCKERTOOLS_RE = re.compile(
    r"^image pull failed for (\S+), this may be because there are no credentials on this request\.?\s*"
    r"(?:details: \((?P<inner>.*)\)\s*)?$",
    re.DOTALL,
)
_EXPLANATION_IMAGE_RE = re.compile(r"^image pull failed for (\S+) because")
_BARE_KUBELET_ERROR_RE = re.compile(r"^(?:ErrImagePull|ImagePullBackOff)$")
_AGGREGATE_SPLIT_RE = re.compile(r",\s+(?=rpc error: code = )")

_HTTP_STATUS_RE = re.compile(
    r"\b([45]\d\d) (?:[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)|HTTP status:? ([45]\d\d)|HTTP ([45]\d\d) response"
)
_URL_HOST_RE = re.compile(r"https?://([^/\s\"']+)")
_ANY_HOST_RE = re.compile(r"(?:https?://|\blookup |\bdialing |\bconnecting to )([\w.-]+\.[a-z]{2,})", re.IGNORECASE)
# Causes a failed layer download from object storage shows up as, and what failed.
_LAYER_FAILURES = {REGISTRY_DNS_FAILURE: "dns", REGISTRY_UNREACHABLE: "connect", REGISTRY_TLS_ERROR: "tls",
                   REGISTRY_SERVER_ERROR: "server-error", REGISTRY_ACCESS_DENIED: "forbidden"}
_LAYER_PATTERNS = {"signed-url-expired": "expired-url", "cdn-refused": "blocked"}
_CONNECT_FAILURES = (
    (re.compile(r"i/o timeout|timed out|Timeout exceeded|deadline exceeded|did not properly respond", re.I), "timeout"),
    (re.compile(r"refused", re.I), "refused"),
    (re.compile(r"reset by peer|forcibly closed|\bEOF\b", re.I), "reset"),
)
_LOOKUP_HOST_RE = re.compile(r"\blookup ([^\s:]+)")
_PING_HOST_RE = re.compile(r"pinging (?:container|docker) registry ([^\s:]+)")
_REPOSITORY_MISSING_RE = re.compile(
    r"name unknown|NAME_UNKNOWN|repository \S+ not found|repository with name \S+ does not exist|"
    r"project \S+ not found",
    re.IGNORECASE,
)
_TAG_MISSING_RE = re.compile(
    r"manifest unknown|manifest for \S+ not found|Requested image not found|artifact \S+ not found|"
    r"Tag \S+ (?:not found|was deleted)",
    re.IGNORECASE,
)
_PLATFORM_WANTED_RE = re.compile(
    r"no matching manifest for ([^\n]+?) in the|wanted ([\w/]+)|"
    r"architecture \"?(\w+)\"?, variant \"?([\w]*)\"?, OS \"?(\w+)\"?"
)
# Registries that answer a missing repository with an access denial rather than a 404.
_DENY_MISSING = frozenset({DOCKERHUB, QUAY, GHCR})
_TLS_PROBLEMS = (
    (re.compile(r"unknown authority|unknown certificate authority", re.I), "unknown-authority"),
    (re.compile(r"has expired|is not yet valid", re.I), "certificate-expired"),
    (re.compile(r"is valid for|not valid for any names|doesn't contain any IP SANs", re.I), "hostname-mismatch"),
    (re.compile(r"HTTP response to HTTPS client|does not look like a TLS handshake", re.I), "plain-http-registry"),
)


def classify_pull_error(
    message: Any,
    *,
    image: Optional[ImageRef] = None,
    has_pull_secrets: Optional[bool] = None,
) -> PullError:
    """Name the cause of a pull error message; never raises.

    ``image`` (the container's parsed image) and ``has_pull_secrets`` (whether the pod sends any
    credentials for that registry) settle messages that fit two causes.

    >>> e = classify_pull_error('Failed to pull image "nginx:1.99": rpc error: code = NotFound '
    ...     'desc = failed to pull and unpack image "docker.io/library/nginx:1.99": failed to '
    ...     'resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found')
    >>> e.cause, e.evidence
    ('ImageNotFound', 'docker.io/library/nginx:1.99: not found')
    >>> classify_pull_error('Back-off pulling image "nginx:1.99"').cause is None
    True
    """
    raw = message if isinstance(message, str) else ""
    detail: Dict[str, Any] = {}
    evidence = _unwrap(raw.strip(), detail)
    ref = _image_from(detail, image)
    if not evidence:
        detail["note"] = "the message names no cause (a back-off notice or a bare error name)"
        return PullError(None, "", raw, detail=detail)
    parts = _split_aggregate(evidence)
    if len(parts) > 1:
        return _classify_aggregate(parts, raw, detail, ref, has_pull_secrets)
    return _classify_one(evidence, raw, detail, ref, has_pull_secrets)


def _unwrap(text: str, detail: Dict[str, Any]) -> str:
    """Peel known wrappers off the front, recording what they said about image, code and runtime."""
    while text:
        match = _match_wrapper(text, detail)
        if match is None:
            break
        text = text[match.end():].strip()
    if _BARE_KUBELET_ERROR_RE.match(text):
        return ""
    explained = _EXPLANATION_IMAGE_RE.match(text)
    if explained:
        detail.setdefault("image", explained.group(1))
    dockertools = _DOCKERTOOLS_RE.match(text)
    if dockertools:
        detail.setdefault("image", dockertools.group(1))
        detail.setdefault("runtime", "docker")
        return _unwrap((dockertools.group("inner") or "").strip(), detail)
    return text


def _match_wrapper(text: str, detail: Dict[str, Any]) -> Optional["re.Match[str]"]:
    for regex, key in ((_IMAGE_PREFIX_RE, "image"), (_KUBELET_ERROR_RE, "kubeletError"), (_GRPC_RE, "grpcCode")):
        match = regex.match(text)
        if match:
            detail.setdefault(key, match.group(1))
            return match
    return _unwrap_runtime(text, detail)


def _unwrap_runtime(text: str, detail: Dict[str, Any]) -> Optional["re.Match[str]"]:
    for regex, runtime in ((_REFERENCE_WRAPPERS_RE, "containerd"), (_CRIO_SOURCE_RE, "cri-o")):
        match = regex.match(text)
        if match:
            detail.setdefault("runtime", runtime)
            detail.setdefault("reference", match.group(1))
            return match
    match = _KUBELET_EXPLANATION_RE.match(text)
    if match:
        detail.setdefault("kubeletError", "RegistryUnavailable" if match.group(1).startswith("registry")
                          else "SignatureValidationFailed")
        return match
    match = _OTHER_WRAPPERS_RE.match(text)
    if match:
        lowered = match.group(0).lower()
        if "daemon" in lowered:
            detail.setdefault("runtime", "docker")
        elif "httpreadseeker" in lowered or "failed to copy" in lowered or "resolve image" in lowered:
            detail.setdefault("runtime", "containerd")
    return match


def _image_from(detail: Dict[str, Any], image: Optional[ImageRef]) -> Optional[ImageRef]:
    """The reference the runtime names (CRI-O may have resolved a short name to another
    registry), else the container's image, else the one the kubelet's prefix names."""
    named = parse_image(detail["reference"]) if detail.get("reference") else None
    if named is not None and named.valid:
        return named
    if image is not None:
        return image
    prefixed = parse_image(detail["image"]) if detail.get("image") else None
    return prefixed if prefixed is not None and prefixed.valid else None


def _split_aggregate(evidence: str) -> List[str]:
    if evidence.startswith("[") and evidence.endswith("]") and "rpc error: code = " in evidence:
        return [part.strip() for part in _AGGREGATE_SPLIT_RE.split(evidence[1:-1]) if part.strip()]
    return [evidence]


def _classify_aggregate(
    parts: List[str], raw: str, detail: Dict[str, Any], ref: Optional[ImageRef], has_secrets: Optional[bool]
) -> PullError:
    results = [classify_pull_error(part, image=ref, has_pull_secrets=has_secrets) for part in parts]
    known = [r for r in results if r.cause]
    if not known:
        return PullError(None, "", raw, detail=detail)
    best = min(known, key=lambda r: SPECIFICITY.index(r.cause) if r.cause in SPECIFICITY else len(SPECIFICITY))
    merged = dict(detail)
    merged.update(best.detail)
    merged["attempts"] = [{"cause": r.cause, "evidence": r.evidence} for r in results]
    return PullError(best.cause, best.evidence, raw, best.pattern, merged, best.ambiguity)


def _classify_one(
    evidence: str, raw: str, detail: Dict[str, Any], ref: Optional[ImageRef], has_secrets: Optional[bool]
) -> PullError:
    _add_facts(evidence, detail, ref)
    if detail.get("kubeletError") == SIGNATURE_VALIDATION_FAILED:
        return PullError(SIGNATURE_VALIDATION_FAILED, evidence, raw, "signature", detail)
    for pattern in PATTERNS:
        if pattern.regex.search(evidence):
            cause, ambiguity = pattern.cause, None
            if pattern.decide is not None:
                cause, ambiguity = pattern.decide(ref, has_secrets, evidence)
            if cause == IMAGE_NOT_FOUND:
                _add_missing(evidence, detail, ref, denied=pattern.name == "denied-or-missing")
            if cause in _LAYER_FAILURES or pattern.name in _LAYER_PATTERNS:
                if _add_layer_download(evidence, detail, ref, cause, pattern.name):
                    cause, ambiguity = LAYER_DOWNLOAD_FAILED, None
            return PullError(cause, evidence, raw, pattern.name, detail, ambiguity)
    return PullError(_fallback_cause(detail), evidence, raw, None, detail)


def _add_layer_download(evidence: str, detail: Dict[str, Any], ref: Optional[ImageRef], cause: str,
                        pattern: str) -> bool:
    """Whether the error is about a layer download redirected away from the registry, with its host,
    the storage behind it and what failed. A signed URL that expired is one whatever its host."""
    registry = ref.registry.lower() if ref is not None and ref.valid else ""
    hosts = [host.rstrip(".").lower() for host in _ANY_HOST_RE.findall(evidence)]
    layer_host = next((host for host in hosts if host != registry and layer_storage(host)), None)
    if layer_host is None and pattern not in _LAYER_PATTERNS:
        return False
    failure = _LAYER_PATTERNS.get(pattern) or _LAYER_FAILURES[cause]
    if failure == "connect":
        failure = next((name for regex, name in _CONNECT_FAILURES if regex.search(evidence)), failure)
    detail["failure"] = failure
    if layer_host:
        detail["host"] = detail["layerHost"] = layer_host
        detail["storage"] = layer_storage(layer_host)
    return True


def _fallback_cause(detail: Dict[str, Any]) -> str:
    """When no wording matched, the gRPC code or the kubelet's error name still says something."""
    if detail.get("kubeletError") == "RegistryUnavailable" or detail.get("grpcCode") == "DeadlineExceeded":
        return REGISTRY_UNREACHABLE
    if detail.get("grpcCode") == "NotFound":
        return IMAGE_NOT_FOUND
    return PULL_FAILED


def _add_facts(evidence: str, detail: Dict[str, Any], ref: Optional[ImageRef]) -> None:
    status = _HTTP_STATUS_RE.search(evidence)
    if status:
        detail["httpStatus"] = int(next(group for group in status.groups() if group))
    host = _URL_HOST_RE.search(evidence) or _LOOKUP_HOST_RE.search(evidence) or _PING_HOST_RE.search(evidence)
    if host:
        detail["host"] = host.group(1).rstrip(".,;")
    elif ref is not None and ref.valid:
        detail["host"] = ref.registry
    if "runtime" not in detail and ("reading manifest" in evidence or "pinging container registry" in evidence):
        detail["runtime"] = "cri-o"
    platform = _PLATFORM_WANTED_RE.search(evidence)
    if platform:
        groups = platform.groups()
        if groups[0] or groups[1]:
            detail["wantedPlatform"] = groups[0] or groups[1]
        else:
            detail["wantedPlatform"] = "/".join(part for part in (groups[4], groups[2], groups[3]) if part)
    for regex, problem in _TLS_PROBLEMS:
        if regex.search(evidence):
            detail["tlsProblem"] = problem
            break


def _add_missing(evidence: str, detail: Dict[str, Any], ref: Optional[ImageRef], denied: bool) -> None:
    """Which part of the reference the registry says is absent, when its words (or habits) tell.

    A registry that denies a repository it cannot find never means a missing tag. Docker Hub,
    Quay and GHCR answer a missing repository with that denial, so a plain 404 from them means
    the repository exists and the tag (or digest) does not.
    """
    tag_or_digest = "digest" if ref is not None and ref.digest else "tag"
    if denied or _REPOSITORY_MISSING_RE.search(evidence):
        detail["missing"] = "repository"
    elif ref is not None and ref.digest and ref.digest in evidence:
        detail["missing"] = "digest"
    elif _TAG_MISSING_RE.search(evidence) or (ref is not None and ref.valid and ref.family in _DENY_MISSING):
        detail["missing"] = tag_or_digest
