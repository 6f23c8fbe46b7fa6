"""The one-line summary of a diagnosis: the cause in words, with the names that matter."""

from __future__ import annotations

from typing import Callable, Dict

from .. import causes as c
from ..evictions.endings import (
    CAUSE_NODE_AFFINITY, CAUSE_OUT_OF_RESOURCE, KIND_NODE_SHUTDOWN, KIND_PREEMPTION, amount,
)
from ..evictions.messages import CAUSE_REJECTED, KIND_LOCAL_STORAGE, KIND_REJECTED, Eviction
from ..kube import rfc3339
from .fixcontext import FixContext


def _not_found(ctx: FixContext) -> str:
    ref = ctx.image
    missing = ctx.error.detail.get("missing") if ctx.error else None
    if missing == "tag":
        return f"tag {ref.tag} does not exist in {ref.name}"
    if missing == "repository":
        return f"repository {ref.name} does not exist"
    if missing == "digest":
        return f"digest {ref.digest} does not exist in {ref.name}"
    return f"{ref.fully_qualified} does not exist in the registry"


def _auth_required(ctx: FixContext) -> str:
    if ctx.credentials.sends_credentials:
        return f"{ctx.image.registry} rejected the pod's credentials"
    return f"{ctx.image.registry} requires credentials and the pod sends none that match"


def _elsewhere(ctx: FixContext) -> str:
    """When the failing host is not the image's registry: the registry sent the node there."""
    host, registry = ctx.host.split(":")[0].lower(), (ctx.image.registry or "").lower()
    if not registry or host in (registry, registry.split(":")[0], "the registry"):
        return ""
    return f" (not the registry {ctx.image.registry}: a host it sends the node to)"


def _network(verb: str) -> Callable[[FixContext], str]:
    return lambda ctx: f"node {ctx.node_name} {verb} {ctx.host}" + _elsewhere(ctx)


_LAYER_FAILURES = {
    "dns": "cannot resolve", "timeout": "times out connecting to", "refused": "is refused by",
    "reset": "has its connection reset by", "connect": "cannot connect to", "tls": "fails TLS with",
    "server-error": "gets a server error from", "forbidden": "is refused (403) by",
    "expired-url": "gets an expired signed URL from", "blocked": "is blocked by",
}


def _layer_download(ctx: FixContext) -> str:
    detail = ctx.error.detail if ctx.error else {}
    failure = _LAYER_FAILURES.get(str(detail.get("failure")), "fails on")
    host = detail.get("layerHost")
    if not host:
        return f"node {ctx.node_name} {failure} the storage {ctx.image.registry} redirects layer downloads to"
    return (f"node {ctx.node_name} {failure} {host}, where {ctx.image.registry} redirects layer downloads "
            f"({detail.get('storage')}, not the registry itself)")


def _tls(ctx: FixContext) -> str:
    problem = ctx.error.detail.get("tlsProblem") if ctx.error else None
    return f"TLS with {ctx.host} failed on node {ctx.node_name}" + (f" ({problem})" if problem else "") + _elsewhere(ctx)


def _server_error(ctx: FixContext) -> str:
    status = ctx.error.detail.get("httpStatus") if ctx.error else None
    return f"{ctx.host} answered " + (f"HTTP {status}" if status else "with a server error")


def _platform(ctx: FixContext) -> str:
    info = ctx.node_info or {}
    platform = f" ({info.get('os')}/{info.get('arch')})" if info.get("arch") else ""
    return f"{ctx.image.fully_qualified} has no image for node {ctx.node_name}{platform}"


def _pull_failed(ctx: FixContext) -> str:
    if not ctx.cause_known:
        return f"pulling {ctx.image.familiar} keeps failing; the error itself is no longer on record"
    return f"pulling {ctx.image.familiar} failed: " + (ctx.error.evidence[:120] if ctx.error else "unknown error")


_SUMMARIES: Dict[str, Callable[[FixContext], str]] = {
    c.IMAGE_NOT_FOUND: _not_found,
    c.REGISTRY_AUTH_REQUIRED: _auth_required,
    c.REGISTRY_ACCESS_DENIED: lambda ctx: f"{ctx.image.registry} denies the pull of {ctx.image.repository} "
                                          "to the credentials it was given",
    c.REGISTRY_CREDENTIALS_EXPIRED: lambda ctx: f"the pull credentials for {ctx.image.registry} have expired",
    c.REGISTRY_RATE_LIMITED: lambda ctx: f"{ctx.image.registry} is rate-limiting pulls",
    c.REGISTRY_DNS_FAILURE: _network("cannot resolve"),
    c.REGISTRY_UNREACHABLE: _network("cannot connect to"),
    c.REGISTRY_TLS_ERROR: _tls,
    c.REGISTRY_SERVER_ERROR: _server_error,
    c.LAYER_DOWNLOAD_FAILED: _layer_download,
    c.PLATFORM_MISMATCH: _platform,
    c.INVALID_IMAGE_NAME: lambda ctx: f"{ctx.image.original!r} is not a valid image reference",
    c.IMAGE_NEVER_PULLED: lambda ctx: f"{ctx.image.original} is not on node {ctx.node_name} and imagePullPolicy "
                                      "is Never",
    c.NODE_DISK_FULL: lambda ctx: f"node {ctx.node_name} ran out of disk while pulling {ctx.image.familiar}",
    c.SIGNATURE_VALIDATION_FAILED: lambda ctx: f"the signature policy on node {ctx.node_name} rejected "
                                               f"{ctx.image.familiar}",
    c.PULL_FAILED: _pull_failed,
}


def pull_summary(cause: str, ctx: FixContext) -> str:
    """One line naming the cause for this container, e.g. ``tag 1.99 does not exist in docker.io/library/nginx``."""
    text = _SUMMARIES.get(cause, _pull_failed)(ctx)
    ambiguity = ctx.error.ambiguity if ctx.error else None
    if ambiguity is not None:
        text += (f" (or {' or '.join(ambiguity.alternatives)}: the registry answers both alike; "
                 "`why --probe` tells them apart)")
    return text


def _refusal_summary(eviction: Eviction, node: str) -> str:
    refusal = eviction.refusal
    if eviction.cause == CAUSE_OUT_OF_RESOURCE and refusal is not None:
        res = refusal.resource or "a resource"
        if refusal.free is not None:
            free = f"only {amount(res, refusal.free)}" if refusal.free > 0 else "none"
            text = (f"refused by {node}: it requests {amount(res, refusal.requested)} {res} and {free} of "
                    f"{amount(res, refusal.capacity)} was free")
        else:
            text = f"refused by {node}: not enough {res} for it"
    elif eviction.cause == CAUSE_NODE_AFFINITY:
        text = f"refused by {node}: the node's labels no longer match its node selector or affinity"
    else:
        text = f"refused by {node} at admission ({eviction.reason or (refusal and refusal.reason) or 'no reason given'})"
    return text + "; the pod never ran"


def _replaced(eviction: Eviction) -> str:
    replacement = eviction.replacement
    if replacement is None or replacement.replaced is None:
        return ""
    if replacement.controller is None:
        return "; nothing re-creates it"
    return "; replaced" if replacement.replaced else "; not replaced yet"


def _ending_summary(eviction: Eviction, node: str) -> str:
    when = f" at {rfc3339(eviction.evicted_at)}" if eviction.evicted_at else ""
    if eviction.kind == KIND_NODE_SHUTDOWN:
        if eviction.refusal is not None:
            return f"refused by {node} while it was shutting down; the pod never ran" + _replaced(eviction)
        return f"stopped when node {node} shut down{when}" + _replaced(eviction)
    if eviction.kind == KIND_PREEMPTION:
        whom = f"critical pod {eviction.preempted_by}" if eviction.preempted_by else "a critical pod"
        return f"preempted by the kubelet on {node}{when} to make room for {whom}" + _replaced(eviction)
    return _refusal_summary(eviction, node) + _replaced(eviction)


def eviction_summary(eviction: Eviction) -> str:
    """One line for a pod the kubelet ended: the resource, the numbers, the biggest user, or the ending."""
    node = eviction.node or "the node"
    if eviction.kind == KIND_REJECTED and eviction.cause == CAUSE_REJECTED:
        conditions = ", ".join(eviction.node_conditions) or "node pressure"
        return f"refused by {node} under {conditions}; the pod never ran"
    if eviction.kind not in (KIND_LOCAL_STORAGE, "NodePressure"):
        return _ending_summary(eviction, node)
    if eviction.kind == KIND_LOCAL_STORAGE:
        what = {"container": "a container", "pod": "the pod", "emptyDir": f"emptyDir {eviction.volume}"}
        limit = f" {eviction.threshold}" if eviction.threshold else ""
        return f"evicted from {node}: {what.get(eviction.exceeded_limit or '', 'it')} went over its local storage limit{limit}"
    text = f"evicted from {node}: the node was low on {eviction.resource or 'a resource'}"
    if eviction.threshold and eviction.available:
        text += f" (threshold {eviction.threshold}, available {eviction.available})"
    users = [u for u in eviction.containers if u.usage]
    if users:
        top = users[0]
        text += f"; {top.name} used {top.usage}" + (f" against a request of {top.request}" if top.request else "")
    return text
