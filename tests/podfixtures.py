"""Small pods and events as the API server returns them, for the diagnosis tests."""

from __future__ import annotations

import base64
import json
import re
from kubectl_pullmedic.core.serialize import as_document
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
NOT_FOUND = ('Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
             '"{ref}": failed to resolve reference "{ref}": {ref}: not found')


def pod(name: str = "api-7d9f8b-x2x", *, uid: str = "uid-1", namespace: str = "shop",
        containers: Optional[List[Dict[str, Any]]] = None, init: Optional[List[Dict[str, Any]]] = None,
        statuses: Optional[List[Dict[str, Any]]] = None, init_statuses: Optional[List[Dict[str, Any]]] = None,
        phase: str = "Pending", node: Optional[str] = "node-1", secrets: Optional[List[str]] = None,
        owner: Optional[Dict[str, Any]] = None, labels: Optional[Dict[str, str]] = None,
        account: Optional[str] = None) -> Dict[str, Any]:
    metadata: Dict[str, Any] = {"name": name, "namespace": namespace, "uid": uid,
                                "creationTimestamp": "2026-03-01T11:00:00Z", "labels": labels or {}}
    if owner is None and name.startswith("api-7d9f8b"):
        owner = {"kind": "ReplicaSet", "name": "api-7d9f8b", "uid": "rs-1", "controller": True}
        metadata["labels"].setdefault("pod-template-hash", "7d9f8b")
    if owner:
        metadata["ownerReferences"] = [owner]
    spec: Dict[str, Any] = {"containers": containers or [{"name": "app", "image": "nginx:1.99"}]}
    if init:
        spec["initContainers"] = init
    if node:
        spec["nodeName"] = node
    if secrets is not None:
        spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    if account:
        spec["serviceAccountName"] = account
    status: Dict[str, Any] = {"phase": phase}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    return {"metadata": metadata, "spec": spec, "status": status}


def waiting(name: str, reason: str, message: str = "") -> Dict[str, Any]:
    return {"name": name, "state": {"waiting": {"reason": reason, "message": message}}}


def event(reason: str, message: str, *, uid: str = "uid-1", field_path: Optional[str] = "spec.containers{app}",
          count: int = 1, first: str = "2026-03-01T11:50:00Z", last: str = "2026-03-01T11:58:00Z",
          name: str = "api-7d9f8b-x2x", kind: str = "Warning") -> Dict[str, Any]:
    involved: Dict[str, Any] = {"kind": "Pod", "name": name, "namespace": "shop", "uid": uid}
    if field_path:
        involved["fieldPath"] = field_path
    return {"involvedObject": involved, "reason": reason, "message": message, "type": kind, "count": count,
            "firstTimestamp": first, "lastTimestamp": last}


def not_found(image: str = "nginx:1.99", ref: str = "docker.io/library/nginx:1.99", **kwargs: Any) -> Dict[str, Any]:
    return event("Failed", NOT_FOUND.format(image=image, ref=ref), **kwargs)


def one(diagnoses):
    assert len(diagnoses) == 1, [as_document(d) for d in diagnoses]
    return diagnoses[0]


GHCR_401 = ('Failed to pull image "ghcr.io/acme/api:2": failed to pull and unpack image "ghcr.io/acme/api:2": failed '
            'to resolve reference "ghcr.io/acme/api:2": failed to authorize: failed to fetch anonymous token: '
            'unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fapi%3Apull'
            '&service=ghcr.io: 401 Unauthorized')
PASSWORD = "s3cr3t-Passw0rd"


def dockerconfig_secret(name: str, host: str, namespace: str = "shop") -> Dict[str, Any]:
    auth = base64.b64encode(f"bot:{PASSWORD}".encode()).decode()
    doc = json.dumps({"auths": {host: {"username": "bot", "password": PASSWORD, "auth": auth}}})
    return {"metadata": {"name": name, "namespace": namespace}, "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(doc.encode()).decode()}}


def ghcr_pod(**kwargs: Any) -> Dict[str, Any]:
    return pod(containers=[{"name": "app", "image": "ghcr.io/acme/api:2"}], statuses=[waiting("app", "ErrImagePull")],
               **kwargs)


EVICTED = pod(name="worker-5f7c9-abcde", uid="uid-e", phase="Failed",
              owner={"kind": "ReplicaSet", "name": "worker-5f7c9", "controller": True},
              labels={"pod-template-hash": "5f7c9"},
              containers=[{"name": "app", "image": "acme/worker:1",
                           "resources": {"requests": {"memory": "256Mi"}}}])
EVICTED["status"].update(reason="Evicted", message=(
    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 88Mi. Container app was using "
    "1.2Gi, request is 256Mi, has larger consumption of memory. "))


def secret_claim(line: str):
    """What a printed fix line claims about a secret: ("missing", NAME, NAMESPACE) for a create command,
    whether it creates the secret from scratch or copies a namesake of another namespace (which only a
    run that may list secrets everywhere can see); otherwise the line itself."""
    created = re.search(r"kubectl create secret \S+ (\S+) .*?-n (\S+)", line)
    return ("missing", created.group(1), created.group(2).rstrip('",')) if created else line
