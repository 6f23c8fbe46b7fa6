"""The fix for each pull cause: steps in words and commands with the real names filled in.

Commands name the object people edit (``deployment/api``, found through the owner chain), the
container, the namespace and the registry host. Where a value cannot be known from the
cluster (a password, a cloud account's role name) the command holds a ``<placeholder>``;
no line ever holds a credential.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Tuple

from .. import causes as c
from ..credentials.fixes import access_denied, auth_required, credentials_expired, malformed_secret, rate_limited
from .fixcontext import SPEC_LISTS, FixContext, debug_node, node_gone_line, patch_template, replace_pod, set_image
from .imageref import DOCKERHUB, OFFICIAL_PREFIX, ImageRef, corrected_reference
from ..suggest import suggest_official_image, suggest_repository, suggest_tag

__all__ = ["FixContext", "fixes_for"]


def fixes_for(cause: str, ctx: FixContext) -> List[str]:
    """The steps for ``cause``; an ambiguous classification adds how to tell the causes apart."""
    steps = _node_gone(cause, ctx) if ctx.node_gone else list(_FIXERS.get(cause, _pull_failed)(ctx))
    ambiguity = ctx.error.ambiguity if ctx.error else None
    if ambiguity is not None:
        others = " or ".join(ambiguity.alternatives)
        steps.append(f"This may instead be {others}: {ambiguity.reason}. To tell them apart: {ambiguity.tell_apart}")
    return steps


# Causes whose every step looks at the pod's node (its resolver, network, disk, image store): moot once
# the node is deleted, and so is a failure whose error is no longer on record (no attempt will come).
_ON_THE_NODE = frozenset({c.REGISTRY_DNS_FAILURE, c.REGISTRY_UNREACHABLE, c.REGISTRY_TLS_ERROR,
                          c.LAYER_DOWNLOAD_FAILED, c.NODE_DISK_FULL})
_NODE_STORE_PATTERNS = frozenset({"local-content-missing", "inspect-failed"})


def _node_gone(cause: str, ctx: FixContext) -> List[str]:
    """The pod's node was deleted: the pod can never run, a replacement can. Nothing names the node in a
    command; what is not about the node (the image, the credentials) still applies to the replacement."""
    steps = [node_gone_line(ctx.node_name), replace_pod(ctx.owner, ctx.pod, ctx.namespace)]
    pattern = ctx.error.pattern if ctx.error else None
    if cause in _ON_THE_NODE or (cause == c.PULL_FAILED and (not ctx.cause_known or pattern in _NODE_STORE_PATTERNS)):
        target = ctx.target if ctx.owner else ctx.pod
        return steps + [f"If the replacement fails too, ask about it on its own node: kubectl pullmedic why {target} "
                        f"-n {ctx.namespace}"]
    if cause == c.PLATFORM_MISMATCH:
        return steps + _platform_image_steps(ctx, "")
    return steps + list(_FIXERS.get(cause, _pull_failed)(ctx))


# --- ImageNotFound / InvalidImageName / ImageNeverPulled ---------------------------------


def _image_not_found(ctx: FixContext) -> List[str]:
    ref = ctx.image
    steps = [_reference_line(ref)]
    missing = ctx.error.detail.get("missing") if ctx.error else None
    if missing == "tag":
        steps.append(f"{ref.registry} has no tag {ref.tag} in {ref.repository}")
    elif missing == "repository":
        steps.append(f"{ref.registry} has no repository {ref.repository}")
    elif missing == "digest":
        steps.append(f"{ref.registry} has no manifest with digest {ref.digest} in {ref.repository}")
    if missing == "repository":
        return steps + _repository_fix(ctx)
    nearby = suggest_repository(ref.registry, ref.repository, ctx.running_images) if missing is None else None
    if nearby:
        # "not found" without saying what: a repository that other pods pull under a close name is the likelier miss
        return steps + _running_repository(ctx, nearby)
    suggestion = suggest_tag(ref.tag) if ref.tag and not ref.tag_defaulted else None
    if suggestion:
        steps.append(f'The tag "{ref.tag}" looks like a typo of "{suggestion}"')
    elif ref.tag_defaulted:
        steps.append("No tag was given, so the runtime asked for :latest; many repositories publish only "
                     "versioned tags: name one explicitly")
    if missing == "tag" or suggestion:
        steps.append(f"List the tags that exist: skopeo list-tags docker://{ref.name}")
        steps.append(set_image(ctx, ref.with_tag(suggestion or "<tag>")))
    else:  # the registry did not say whether the tag or the whole repository is missing
        steps.append(f"List the tags that exist, which also tells whether {ref.repository} exists: "
                     f"skopeo list-tags docker://{ref.name}")
        steps.append(set_image(ctx, "<registry/repository:tag>"))
    return steps


def _repository_fix(ctx: FixContext) -> List[str]:
    ref = ctx.image
    name = ref.repository[len(OFFICIAL_PREFIX):]
    suggestion = suggest_official_image(name) if ref.is_official else None
    if suggestion:
        tag = f":{ref.tag}" if ref.tag and not ref.tag_defaulted else ""
        return [f'Docker Hub has no official image "{name}"; the official one is "{suggestion}"',
                set_image(ctx, suggestion + tag)]
    nearby = suggest_repository(ref.registry, ref.repository, ctx.running_images)
    if nearby:
        return _running_repository(ctx, nearby)
    term = name if ref.is_official else ref.repository
    where = f"docker search {term}" if ref.family == DOCKERHUB else f"the repository list of {ref.registry}"
    return [f"Check the repository name ({where}) and the organisation it belongs to",
            set_image(ctx, "<registry/repository:tag>")]


def _running_repository(ctx: FixContext, nearby: Tuple[str, str]) -> List[str]:
    ref, (registry, repository) = ctx.image, nearby
    name = repository if registry == ref.registry else f"{registry}/{repository}"
    shown = name[len(OFFICIAL_PREFIX):] if registry == "docker.io" and name.startswith(OFFICIAL_PREFIX) else name
    full = f"{registry}/{repository}"
    tag = f":{ref.tag}" if ref.tag and not ref.tag_defaulted else ""
    return [f'"{ref.repository}" looks like a typo of "{shown}", which other pods in the cluster pull',
            f"List its tags: skopeo list-tags docker://{full}",
            set_image(ctx, (full if registry != ref.registry or ref.registry != "docker.io" else shown) + tag)]


def _reference_line(ref: ImageRef) -> str:
    defaults = ref.defaults_applied()
    explained = f": {'; '.join(defaults)}" if defaults else ""
    return f"The runtime pulls {ref.fully_qualified}{explained}"


def _invalid_name(ctx: FixContext) -> List[str]:
    ref = ctx.image
    steps = [f"{ref.original!r} is not a valid image reference: {ref.error or 'invalid reference format'}"]
    if ref.hint:
        steps.append(f"Hint: {ref.hint}")
    corrected = corrected_reference(ref.original)
    steps.append(set_image(ctx, corrected or "<valid-image-reference>"))
    return steps


def _never_pulled(ctx: FixContext) -> List[str]:
    image = ctx.image.original
    steps = [
        f"imagePullPolicy is Never and {image} is not on node {ctx.node_name}, so the kubelet will not pull it",
        "Load it onto every node the pod can run on, with the tool of your cluster:",
        f"kind: kind load docker-image {image}",
        f"minikube: minikube image load {image}",
        f"any containerd node: docker save {image} -o image.tar, copy it to the node, then run there: "
        "ctr -n k8s.io images import image.tar",
    ]
    spec_list = SPEC_LISTS.get(ctx.container_type, "containers")
    fragment = {spec_list: [{"name": ctx.container, "imagePullPolicy": "IfNotPresent"}]}
    steps.append("Or let the kubelet pull it: " + patch_template(ctx, fragment, "imagePullPolicy"))
    return steps


# --- network -----------------------------------------------------------------------------


def _dns_failure(ctx: FixContext) -> List[str]:
    host = ctx.host.split(":")[0]
    steps = [f"Node {ctx.node_name} cannot resolve {host}: the runtime uses the node's resolver, not cluster DNS",
             "Check from the node: " + debug_node(ctx, "busybox", f"nslookup {host}"),
             "and its resolver configuration: " + debug_node(ctx, "busybox", "cat /host/etc/resolv.conf")]
    if host.endswith((".svc", ".cluster.local", ".svc.cluster.local")):
        steps.append(f"{host} is a cluster Service name, which nodes cannot resolve: use a name the nodes resolve, "
                     "or the Service's ClusterIP or NodePort in the image reference")
    elif ctx.host == ctx.image.registry:
        steps.append(f"If {host} is misspelt, fix the image: {set_image(ctx, '<corrected-image>')}")
    return steps + _redirected(ctx)


def _redirected(ctx: FixContext) -> List[str]:
    """When the failing host is not the registry, the registry redirected the node there."""
    host, registry = ctx.host.split(":")[0].lower(), (ctx.image.registry or "").lower()
    if not registry or host in (registry, registry.split(":")[0], "the registry"):
        return []
    return [f"{ctx.host} is not the registry {ctx.image.registry} but a host it sends the node to (a token "
            f"service, a mirror or a redirect): egress rules that allow only {ctx.image.registry} are the usual cause"]


def _unreachable(ctx: FixContext) -> List[str]:
    host = ctx.host
    return [
        f"Node {ctx.node_name} cannot connect to {host} (pulls come from the node, not the pod, so NetworkPolicy "
        "does not apply)",
        "Check from the node (any HTTP answer, even 401, proves the path works): "
        + debug_node(ctx, "curlimages/curl", f"curl -sv --max-time 10 https://{host}/v2/"),
        "Look for firewalls, security groups or routes that block the node's egress to the registry; if nodes "
        "reach the internet through a proxy, the container runtime's service (not the pod) needs HTTPS_PROXY and NO_PROXY",
    ] + _redirected(ctx)


# Where each registry's layers come from, for egress rules (see wordings.LAYER_STORAGE_HOSTS).
_LAYER_DOMAINS = {
    "docker.io": "production.cloudflare.docker.com and *.r2.cloudflarestorage.com",
    "ghcr.io": "pkg-containers.githubusercontent.com",
    "quay.io": "cdn.quay.io, cdn01.quay.io, cdn02.quay.io, cdn03.quay.io",
    "registry.k8s.io": "prod-registry-k8s-io-*.s3.dualstack.*.amazonaws.com and *.pkg.dev",
    "gcr.io": "storage.googleapis.com",
    "mcr.microsoft.com": "*.data.mcr.microsoft.com and *.blob.core.windows.net",
}
_LAYER_ADVICE = {
    "expired-url": "The signed URL (valid for minutes) expired before the download got there: a stalled proxy, a "
                   "very slow link, or node {node}'s clock far off; check the node's time and its bandwidth to {host}",
    "tls": "Something between node {node} and {host} presents another certificate (a TLS-inspecting proxy?): let "
           "{host} through uninspected, or trust the proxy's CA in the container runtime",
    "blocked": "{host} refused the download itself (a CDN rule by country or network): pull through a mirror in "
               "another region, or ask the registry's operators",
}


def _layer_download(ctx: FixContext) -> List[str]:
    detail = ctx.error.detail if ctx.error else {}
    host = str(detail.get("layerHost") or "the layer storage")
    registry = ctx.image.registry
    failure = str(detail.get("failure") or "")
    steps = [f"{registry} answered, then redirected node {ctx.node_name} to {host} "
             f"({detail.get('storage') or 'object storage'}) for the layers, and that download failed ({failure or 'see the message'})",
             f"A firewall, proxy or egress rule that allows only {registry} is the usual cause: allow {host} too"]
    domains = _LAYER_DOMAINS.get(registry)
    if domains:
        steps[-1] += f" ({registry} serves layers from {domains})"
    if ctx.image.family == "ecr":
        steps.append("Nodes in private subnets need an S3 gateway VPC endpoint (ECR stores layers in S3), or NAT")
    advice = _LAYER_ADVICE.get(failure)
    if advice:
        steps.append(advice.format(node=ctx.node_name, host=host))
    if detail.get("layerHost"):
        steps.append("Check from the node: " + debug_node(ctx, "curlimages/curl", f"curl -sv --max-time 10 https://{host}/"))
    return steps


_TLS_ADVICE = {
    "unknown-authority": ("Node {node} does not trust the certificate of {host}: install the registry's CA on every "
                          "node for the runtime: containerd /etc/containerd/certs.d/{host}/hosts.toml with "
                          'ca = "/etc/containerd/certs.d/{host}/ca.crt"; CRI-O /etc/containers/certs.d/{host}/ca.crt; '
                          "Docker /etc/docker/certs.d/{host}/ca.crt"),
    "certificate-expired": ("The certificate of {host} has expired or is not yet valid: renew it on the registry, and "
                            "check the clock of node {node}"),
    "hostname-mismatch": ("The certificate of {host} does not name {host}: pull by a name it covers, or reissue it with "
                          "{host} in subjectAltName"),
    "plain-http-registry": ("{host} serves plain HTTP: serve it over TLS, or declare it insecure on every node: "
                            'containerd hosts.toml with server = "http://{host}"; CRI-O [[registry]] location = '
                            '"{host}", insecure = true in /etc/containers/registries.conf; Docker "insecure-registries" '
                            "in /etc/docker/daemon.json"),
}


def _tls_error(ctx: FixContext) -> List[str]:
    problem = ctx.error.detail.get("tlsProblem") if ctx.error else None
    advice = _TLS_ADVICE.get(problem or "", "The TLS handshake with {host} failed on node {node}")
    if problem == "plain-http-registry":
        check = "Confirm it answers plain HTTP: " + debug_node(ctx, "curlimages/curl", f"curl -sv http://{ctx.host}/v2/")
    else:
        check = "See the certificate the node gets: " + debug_node(ctx, "curlimages/curl", f"curl -v https://{ctx.host}/v2/")
    return [advice.format(host=ctx.host, node=ctx.node_name), check]


def _server_error(ctx: FixContext) -> List[str]:
    status = ctx.error.detail.get("httpStatus") if ctx.error else None
    answered = f"HTTP {status}" if status else "a server error"
    return [f"{ctx.host} answered {answered}: a fault on the registry side, and the kubelet keeps retrying",
            "Check the registry's status page or its operators; if it persists, pull from a mirror"]

# --- node --------------------------------------------------------------------------------


def _platform_mismatch(ctx: FixContext) -> List[str]:
    info = ctx.node_info or {}
    node = ctx.node_name
    if ctx.node_info:
        head = f"Node {node} is {info.get('os') or '?'}/{info.get('arch') or '?'}"
    elif ctx.node_unreadable:
        head = (f"Node {node}'s platform could not be read ({ctx.node_unreadable}; to see it: kubectl get node {node} "
                "-o jsonpath='{.status.nodeInfo.operatingSystem}/{.status.nodeInfo.architecture}')")
    else:
        head = f"Node {node}'s platform was not read"
    steps = _platform_image_steps(ctx, head)
    if info.get("arch") and info.get("arch") != "amd64":
        selector = {"nodeSelector": {"kubernetes.io/arch": "amd64"}}
        steps.append("Or keep the pods on amd64 nodes: " + patch_template(ctx, selector, "nodeSelector"))
    return steps


def _platform_image_steps(ctx: FixContext, head: str) -> List[str]:
    """What the image lacks, whatever node asked: its platforms, and how to build the missing one."""
    wanted = ctx.error.detail.get("wantedPlatform") if ctx.error else None
    fq = ctx.image.fully_qualified
    if head:
        first = head + (f" (the runtime asked for {wanted})" if wanted else "") + f"; {fq} has no image for it"
    else:
        first = f"{fq} has no image for the platform the runtime asked for" + (f" ({wanted})" if wanted else "")
    return [first,
            f"List the platforms it has: docker manifest inspect {fq}  (or skopeo inspect --raw docker://{fq})",
            f"Build it for both: docker buildx build --platform linux/amd64,linux/arm64 -t {fq} --push ."]


def _disk_full(ctx: FixContext) -> List[str]:
    node = ctx.node_name
    pressure = (ctx.node_info or {}).get("pressure")
    state = f" (conditions now: {', '.join(pressure) or 'no pressure'})" if ctx.node_info else ""
    return [f"Node {node} ran out of disk while unpacking {ctx.image.fully_qualified}{state}",
            f"See what fills it: kubectl describe node {node}; "
            + debug_node(ctx, "busybox", "df -h /host/var/lib/containerd /host/var/lib/kubelet"),
            "Remove unused images: " + debug_node(ctx, "busybox", "chroot /host crictl rmi --prune"),
            "The kubelet's image garbage collection starts at imageGCHighThresholdPercent (85 by default); a larger "
            "disk or a smaller image is the lasting fix"]


def _signature(ctx: FixContext) -> List[str]:
    fq = ctx.image.fully_qualified
    return [f"The runtime on node {ctx.node_name} requires a signature for {fq} that it cannot verify",
            f"Sign the image (by digest) and check it: cosign sign --key <key> {fq}; cosign verify --key <key.pub> {fq}",
            "Or, only if the image is trusted, relax the rule for this registry in the nodes' /etc/containers/policy.json"]


def _pull_failed(ctx: FixContext) -> List[str]:
    if not ctx.cause_known:
        return [
            "The pull error is no longer on record: events expire (after 1 h by default) and kubelets before 1.32 "
            "do not keep it in the container status",
            "The next attempt records a new Failed event; watch for it: kubectl get events -n "
            f"{ctx.namespace} --field-selector involvedObject.name={ctx.pod},reason=Failed --watch",
            f"Or ask the registry now, with the pod's pull secrets: kubectl pullmedic secrets-check -n {ctx.namespace} --probe",
        ]
    pattern = ctx.error.pattern if ctx.error else None
    if pattern == "malformed-secret":
        return malformed_secret(ctx)
    if pattern == "missing-blob":
        return ["A layer the image's manifest names is missing from the registry (a registry-side fault): push "
                f"{ctx.image.fully_qualified} again"]
    if pattern == "local-content-missing":
        return ["The download worked, but the runtime on node {} could not unpack it from its own store (a lost blob "
                "or a layer format it cannot read): remove the image there so the next attempt starts clean: ".format(
                    ctx.node_name) + debug_node(ctx, "busybox", f"chroot /host crictl rmi {ctx.image.fully_qualified}"),
                "If it recurs on every node, the runtime is too old for the image (zstd layers need containerd 1.5+)"]
    if pattern == "inspect-failed":
        return ["The runtime could not read its local copy of the image; remove it so the next attempt pulls it "
                "again: " + debug_node(ctx, "busybox", f"chroot /host crictl rmi {ctx.image.fully_qualified}")]
    return ["pullmedic does not recognise this error; the runtime's own words are in the message above"]


_FIXERS: Dict[str, Callable[[FixContext], List[str]]] = {
    c.IMAGE_NOT_FOUND: _image_not_found,
    c.INVALID_IMAGE_NAME: _invalid_name,
    c.IMAGE_NEVER_PULLED: _never_pulled,
    c.REGISTRY_AUTH_REQUIRED: auth_required,
    c.REGISTRY_ACCESS_DENIED: access_denied,
    c.REGISTRY_CREDENTIALS_EXPIRED: credentials_expired,
    c.REGISTRY_RATE_LIMITED: rate_limited,
    c.REGISTRY_DNS_FAILURE: _dns_failure,
    c.REGISTRY_UNREACHABLE: _unreachable,
    c.REGISTRY_TLS_ERROR: _tls_error,
    c.REGISTRY_SERVER_ERROR: _server_error,
    c.LAYER_DOWNLOAD_FAILED: _layer_download,
    c.PLATFORM_MISMATCH: _platform_mismatch,
    c.NODE_DISK_FULL: _disk_full,
    c.SIGNATURE_VALIDATION_FAILED: _signature,
    c.PULL_FAILED: _pull_failed,
}
