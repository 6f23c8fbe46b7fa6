"""What a kubelet and a ReplicaSet controller write, for the sandbox's scripted timelines.

A pull attempt writes the kubelet's events in its words (``pkg/kubelet/images/image_manager.go``,
``kuberuntime_container.go``) and the pod's status as the kubelet reports it: on success
Pulling, Pulled (``Successfully pulled image "X" in 2.4s (2.4s including waiting)...``), Created,
Started and a Running, ready pod; on failure Pulling, Failed (``Failed to pull image "X": ...``),
``Error: ErrImagePull``, then, on a later attempt, BackOff and ``ImagePullBackOff`` with the
1.32 waiting message that keeps the last error. An identical event again (client-go's event key:
source, object and fieldPath, type, reason, message) updates the one object, its count and
lastTimestamp, as the recorder's correlator does (a MODIFIED on a watch), never a new object. A replacement pod is made from a ReplicaSet's
template as the controller makes it: ``<rs>-<5 characters>``, a new uid, scheduled, Pending.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any, Dict, List, Optional

from kubectl_pullmedic.core.kube import as_list, dig, name_of, namespace_of
from kubectl_pullmedic.sandbox.resources import resolve
from kubectl_pullmedic.sandbox.store import ObjectStore, StoredObject, rfc3339

Obj = Dict[str, Any]
PODS, EVENTS = resolve("pods"), resolve("events")
REPLICASETS, DEPLOYMENTS = resolve("replicasets"), resolve("deployments")
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's utilrand alphabet
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff")


def event_key(component: str, host: str, pod: Obj, field_path: str, event_type: str, reason: str, message: str) -> str:
    """client-go's ``getEventKey`` (``tools/record/events_cache.go``): events equal in all of these are
    one object whose count grows; any other difference (a second container's fieldPath) is another."""
    metadata = pod["metadata"]
    return "".join([component, host, "Pod", metadata["namespace"], metadata["name"], field_path,
                    str(metadata.get("uid", "")), "v1", event_type, reason, message])


def record_event(store: ObjectStore, pod: Obj, reason: str, message: str, now: datetime,
                 event_type: str = "Normal", field_path: Optional[str] = None, component: str = "kubelet") -> Obj:
    """Write one event about a pod as the recorder's correlator does: a new object the first time, then
    the same object updated (``count`` + 1, ``lastTimestamp``, a MODIFIED on a watch) for an identical
    event (``event_key``). Its name is the pod's and a 16-hex-digit suffix, as the recorder's."""
    metadata = pod["metadata"]
    host = dig(pod, "spec", "nodeName", default="") if component == "kubelet" else ""
    key = event_key(component, host, pod, field_path or "", event_type, reason, message)
    name = f"{metadata['name']}.{hashlib.sha1(key.encode()).hexdigest()[:16]}"
    stamp = rfc3339(now)
    existing = store.get(EVENTS, metadata["namespace"], name) or _same_event(store, pod, key)
    if existing is not None:
        event = existing.decode()
        event["count"] = int(event.get("count") or 1) + 1
        event["lastTimestamp"] = stamp
        return store.put(event).decode()
    involved: Obj = {"apiVersion": "v1", "kind": "Pod", "name": metadata["name"],
                     "namespace": metadata["namespace"], "uid": metadata.get("uid", "")}
    if field_path:
        involved["fieldPath"] = field_path
    return store.put({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": metadata["namespace"]},
        "involvedObject": involved, "reason": reason, "message": message, "type": event_type,
        "count": 1, "firstTimestamp": stamp, "lastTimestamp": stamp,
        "source": {"component": component, **({"host": host} if host else {})},
        "reportingComponent": component, "reportingInstance": host,
    }).decode()


def _same_event(store: ObjectStore, pod: Obj, key: str) -> Optional[StoredObject]:
    """An event already written about ``pod`` under another name (a scenario's, as a kubelet wrote it
    before the timeline started) that is the same event: the kubelet's correlator knows it by key."""
    for entry in store.list_page(EVENTS, pod["metadata"]["namespace"], None, 0, "").items:
        event = entry.decode()
        involved = event.get("involvedObject") or {}
        if involved.get("uid") != pod["metadata"].get("uid") or involved.get("name") != pod["metadata"]["name"]:
            continue
        host = dig(event, "source", "host", default="") or ""
        if key == event_key(str(dig(event, "source", "component", default="") or ""), host, pod,
                            str(involved.get("fieldPath") or ""), str(event.get("type") or ""),
                            str(event.get("reason") or ""), str(event.get("message") or "")):
            return entry
    return None


def _conditions(unready: List[str], stamp: str) -> List[Obj]:
    status = "False" if unready else "True"
    conditions = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp},
                  {"type": "Initialized", "status": "True", "lastTransitionTime": stamp}]
    for kind in ("ContainersReady", "Ready"):
        condition: Obj = {"type": kind, "status": status, "lastTransitionTime": stamp}
        if unready:
            condition.update(reason="ContainersNotReady",
                             message=f"containers with unready status: [{' '.join(unready)}]")
        conditions.append(condition)
    return conditions


def _repository(image: str) -> str:
    """The image without its tag or digest, as an imageID starts."""
    image = image.split("@", 1)[0]
    head, _, last = image.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def _statuses(pod: Obj) -> Dict[str, Obj]:
    return {str(s.get("name")): s for s in as_list(dig(pod, "status", "containerStatuses")) if isinstance(s, dict)}


def pull(store: ObjectStore, pod: Obj, succeeds: bool, error: str, seconds: float, now: datetime) -> Obj:
    """One pull attempt of every container of ``pod`` that is not running; returns the new pod."""
    stamp = rfc3339(now)
    old = _statuses(pod)
    statuses = []
    for container in as_list(dig(pod, "spec", "containers")):
        name, image = str(container.get("name")), str(container.get("image"))
        status = dict(old.get(name) or {"name": name, "restartCount": 0})
        status.update(image=image, name=name)
        if "running" in (status.get("state") or {}):
            statuses.append(status)
            continue
        path = f"spec.containers{{{name}}}"
        record_event(store, pod, "Pulling", f'Pulling image "{image}"', now, field_path=path)
        if succeeds:
            record_event(store, pod, "Pulled", f'Successfully pulled image "{image}" in {seconds:g}s '
                         f'({seconds:g}s including waiting). Image size: 52428800 bytes.', now, field_path=path)
            record_event(store, pod, "Created", f"Created container: {name}", now, field_path=path)
            record_event(store, pod, "Started", f"Started container {name}", now, field_path=path)
            digest = hashlib.sha256(image.encode()).hexdigest()
            status.update(state={"running": {"startedAt": stamp}}, ready=True, started=True,
                          imageID=f"{_repository(image)}@sha256:{digest}")
        else:
            before = dig(status, "state", "waiting", "reason")
            record_event(store, pod, "Failed", f'Failed to pull image "{image}": {error}', now, "Warning", path)
            if before in PULL_FAILURES:  # the back-off had started: the kubelet waits again
                record_event(store, pod, "BackOff", f'Back-off pulling image "{image}"', now, field_path=path)
                record_event(store, pod, "Failed", "Error: ImagePullBackOff", now, "Warning", path)
                waiting = {"reason": "ImagePullBackOff",
                           "message": f'Back-off pulling image "{image}": ErrImagePull: {error}'}
            else:
                record_event(store, pod, "Failed", "Error: ErrImagePull", now, "Warning", path)
                waiting = {"reason": "ErrImagePull", "message": error}
            status.update(state={"waiting": waiting}, ready=False, started=False, imageID="")
        statuses.append(status)
    unready = [str(s["name"]) for s in statuses if "running" not in (s.get("state") or {})]
    new_status = dict(pod.get("status") or {})
    new_status.update(phase="Pending" if unready else "Running", conditions=_conditions(unready, stamp),
                      containerStatuses=statuses)
    new_status.setdefault("startTime", stamp)
    if not unready:
        new_status.setdefault("podIP", _pod_ip(name_of(pod)))
    updated = dict(pod, status=new_status)
    return store.put(updated).decode()


def _pod_ip(name: str) -> str:
    digest = hashlib.sha1(name.encode()).digest()
    return f"10.244.{digest[0] % 8}.{2 + digest[1] % 250}"


def controller_of(pod: Obj) -> Optional[Obj]:
    """The pod's controller ownerReference, if any."""
    for owner in as_list(dig(pod, "metadata", "ownerReferences")):
        if isinstance(owner, dict) and owner.get("controller"):
            return owner
    return None


def replacement(replica_set: Obj, node: str, now: datetime) -> Obj:
    """A new pod from a ReplicaSet's template, scheduled to ``node`` and not started yet."""
    template = dig(replica_set, "spec", "template", default={}) or {}
    rs_name = name_of(replica_set)
    suffix = "".join(secrets.choice(NAME_ALPHABET) for _ in range(5))
    metadata: Obj = {
        "name": f"{rs_name}-{suffix}", "generateName": f"{rs_name}-", "namespace": namespace_of(replica_set),
        "labels": dict(dig(template, "metadata", "labels", default={}) or {}),
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name,
                             "uid": dig(replica_set, "metadata", "uid"), "controller": True,
                             "blockOwnerDeletion": True}],
    }
    spec = dict(template.get("spec") or {})
    if node:
        spec["nodeName"] = node
    containers = [{"name": str(c.get("name")), "image": str(c.get("image")), "ready": False, "started": False,
                   "restartCount": 0, "imageID": "", "state": {"waiting": {"reason": "ContainerCreating"}}}
                  for c in as_list(spec.get("containers")) if isinstance(c, dict)]
    stamp = rfc3339(now)
    unready = [c["name"] for c in containers]
    status = {"phase": "Pending", "conditions": _conditions(unready, stamp), "containerStatuses": containers,
              "qosClass": "BestEffort"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def _ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in as_list(dig(pod, "status", "conditions")))


def _write_status(store: ObjectStore, obj: Obj, status: Obj) -> None:
    """Store a new status; counts of zero are left out, as Go's omitempty leaves them."""
    status = {key: value for key, value in status.items() if value != 0 or key == "replicas"}
    if status != obj.get("status"):
        store.put(dict(obj, status=status))


def refresh_workload(store: ObjectStore, namespace: str, replica_set_name: str, now: datetime) -> None:
    """The ReplicaSet's and its Deployment's ready counts after their pods changed, as their
    controllers write them (``kubectl get deploy`` READY, ``kubectl rollout status``)."""
    rs_entry = store.get(REPLICASETS, namespace, replica_set_name)
    if rs_entry is None:
        return
    owned = [e.decode() for e in store.list_page(PODS, namespace, None, 0, "").items]
    owned = [pod for pod in owned if (controller_of(pod) or {}).get("uid") == rs_entry.uid]
    ready = sum(1 for pod in owned if _ready(pod))
    replica_set = rs_entry.decode()
    _write_status(store, replica_set, dict(replica_set.get("status") or {}, replicas=len(owned),
                                           fullyLabeledReplicas=len(owned), readyReplicas=ready,
                                           availableReplicas=ready))
    owner = controller_of(replica_set) or {}
    deployment_entry = store.get(DEPLOYMENTS, namespace, str(owner.get("name"))) if owner.get("kind") == "Deployment" else None
    if deployment_entry is None:
        return
    deployment = deployment_entry.decode()
    wanted = int(dig(deployment, "spec", "replicas", default=1) or 0)
    available = ready >= wanted
    stamp = rfc3339(now)
    condition = {"type": "Available", "status": "True" if available else "False",
                 "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                 "message": "Deployment has minimum availability." if available
                 else "Deployment does not have minimum availability.",
                 "lastUpdateTime": stamp, "lastTransitionTime": stamp}
    old = next((c for c in as_list(dig(deployment, "status", "conditions")) if c.get("type") == "Available"), None)
    if old is not None and old.get("status") == condition["status"]:
        condition = old
    others = [c for c in as_list(dig(deployment, "status", "conditions")) if c.get("type") != "Available"]
    _write_status(store, deployment, dict(
        deployment.get("status") or {}, replicas=len(owned), updatedReplicas=len(owned), readyReplicas=ready,
        availableReplicas=ready, unavailableReplicas=max(wanted - ready, 0),
        observedGeneration=dig(deployment, "metadata", "generation", default=1), conditions=[condition] + others))
