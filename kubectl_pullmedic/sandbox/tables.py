"""Server-side ``meta.k8s.io/v1 Table`` responses, which ``kubectl get`` prints as they come.

Pod, event, node and namespace rows follow kube-apiserver's printers
(``pkg/printers/internalversion``), so STATUS reads exactly as on a real cluster (waiting or
terminated reason, ``Init:``, ``Evicted``, ``Terminating``); every other kind gets NAME and AGE.
Like the real server, all columns are generated and kubectl hides the priority-1 ones unless
``-o wide``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kubectl_pullmedic.core.kube import as_list, dig, labels_of, name_of, parse_time
from kubectl_pullmedic.core.durations import human_duration
from kubectl_pullmedic.sandbox.resources import ResourceType

Obj = Dict[str, Any]
Column = Tuple[str, str, int]  # name, type, priority

NAME_AGE: Sequence[Column] = (("Name", "string", 0), ("Age", "string", 0))
POD_COLUMNS: Sequence[Column] = (
    ("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0),
    ("Restarts", "string", 0), ("Age", "string", 0), ("IP", "string", 1), ("Node", "string", 1),
    ("Nominated Node", "string", 1), ("Readiness Gates", "string", 1),
)
EVENT_COLUMNS: Sequence[Column] = (
    ("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0),
    ("Object", "string", 0), ("Subobject", "string", 1), ("Source", "string", 1),
    ("Message", "string", 0), ("First Seen", "string", 1), ("Count", "string", 1),
    ("Name", "string", 1),
)

NODE_COLUMNS: Sequence[Column] = (
    ("Name", "string", 0), ("Status", "string", 0), ("Roles", "string", 0), ("Age", "string", 0),
    ("Version", "string", 0),
)
NAMESPACE_COLUMNS: Sequence[Column] = (("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0))


def _since(value: Any, now: datetime) -> str:
    moment = parse_time(value)
    return human_duration((now - moment).total_seconds()) if moment else "<unknown>"


def _latest(current: Optional[datetime], value: Any) -> Optional[datetime]:
    moment = parse_time(value)
    return moment if moment and (current is None or moment > current) else current


def _terminated_reason(terminated: Obj, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def _condition_true(pod: Obj, condition_type: str) -> bool:
    return any(
        c.get("type") == condition_type and c.get("status") == "True"
        for c in as_list(dig(pod, "status", "conditions"))
    )


def pod_cells(pod: Obj, now: datetime) -> List[Any]:
    """The cells of kubectl's pod row (printPod): NAME READY STATUS RESTARTS AGE and wide ones."""
    status = pod.get("status") or {}
    init_specs = {str(c.get("name")): c for c in as_list(dig(pod, "spec", "initContainers"))}
    sidecars = {name for name, spec in init_specs.items() if spec.get("restartPolicy") == "Always"}
    total = len(as_list(dig(pod, "spec", "containers"))) + len(sidecars)
    ready = 0
    reason = str(status.get("reason") or status.get("phase") or "")
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated"
           for c in as_list(status.get("conditions"))):
        reason = "SchedulingGated"

    restarts, last_restart = 0, None
    sidecar_restarts, sidecar_last_restart = 0, None
    initializing = False
    init_statuses = as_list(status.get("initContainerStatuses"))
    for index, container in enumerate(init_statuses):
        state = container.get("state") or {}
        finished = dig(container, "lastState", "terminated", "finishedAt")
        restarts += int(container.get("restartCount") or 0)
        last_restart = _latest(last_restart, finished)
        is_sidecar = container.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += int(container.get("restartCount") or 0)
            sidecar_last_restart = _latest(sidecar_last_restart, finished)
        terminated = state.get("terminated")
        waiting_reason = dig(state, "waiting", "reason", default="")
        if isinstance(terminated, dict) and int(terminated.get("exitCode") or 0) == 0:
            continue
        if is_sidecar and container.get("started"):
            ready += 1 if container.get("ready") else 0
            continue
        if isinstance(terminated, dict):
            reason = _terminated_reason(terminated, "Init:")
        elif waiting_reason and waiting_reason != "PodInitializing":
            reason = "Init:" + waiting_reason
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, sidecar_last_restart
        has_running = False
        for container in reversed(as_list(status.get("containerStatuses"))):
            state = container.get("state") or {}
            restarts += int(container.get("restartCount") or 0)
            last_restart = _latest(last_restart, dig(container, "lastState", "terminated", "finishedAt"))
            if dig(state, "waiting", "reason"):
                reason = str(state["waiting"]["reason"])
            elif isinstance(state.get("terminated"), dict):
                reason = _terminated_reason(state["terminated"])
            elif container.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    if dig(pod, "metadata", "deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"
    pod_ips = as_list(status.get("podIPs"))
    pod_ip = str(pod_ips[0].get("ip") or "") if pod_ips else str(status.get("podIP") or "")
    gates = as_list(dig(pod, "spec", "readinessGates"))
    gates_text = "<none>"
    if gates:
        wanted = {str(g.get("conditionType")) for g in gates}
        met = sum(1 for c in as_list(status.get("conditions"))
                  if c.get("type") in wanted and c.get("status") == "True")
        gates_text = f"{met}/{len(gates)}"
    return [
        name_of(pod), f"{ready}/{total}", reason, restarts_text,
        _since(dig(pod, "metadata", "creationTimestamp"), now),
        pod_ip or "<none>", dig(pod, "spec", "nodeName", default="") or "<none>",
        status.get("nominatedNodeName") or "<none>", gates_text,
    ]


def pod_row_conditions(pod: Obj) -> List[Obj]:
    phase = dig(pod, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return []


def event_cells(event: Obj, now: datetime) -> List[Any]:
    """The cells of kubectl's event row (printEvent), falling back across the events.k8s.io fields."""
    first = _since(event.get("firstTimestamp"), now) if event.get("firstTimestamp") else _since(
        event.get("eventTime"), now)
    last = _since(event["lastTimestamp"], now) if event.get("lastTimestamp") else first
    count = int(event.get("count") or 0)
    if isinstance(event.get("series"), dict):
        last = _since(event["series"].get("lastObservedTime"), now)
        count = int(event["series"].get("count") or 0)
    elif count == 0:
        count = 1
    involved = event.get("involvedObject") or {}
    target = str(involved.get("kind") or "").lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    component = dig(event, "source", "component", default="") or event.get("reportingComponent") or ""
    instance = dig(event, "source", "host", default="") or event.get("reportingInstance") or ""
    source = "<unknown>" if not component else (f"{component}, {instance}" if instance else component)
    return [
        last, event.get("type") or "", event.get("reason") or "", target, involved.get("fieldPath") or "",
        source, str(event.get("message") or "").strip(), first, count, name_of(event),
    ]


def node_cells(node: Obj, now: datetime) -> List[Any]:
    """NAME STATUS ROLES AGE VERSION, STATUS from the Ready condition as printNode does."""
    ready = next((c for c in as_list(dig(node, "status", "conditions")) if c.get("type") == "Ready"), None)
    if ready is None:
        state = "Unknown"
    else:
        state = {"True": "Ready", "False": "NotReady"}.get(str(ready.get("status")), "Unknown")
    if dig(node, "spec", "unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(
        key[len("node-role.kubernetes.io/"):] for key in labels_of(node) if key.startswith("node-role.kubernetes.io/")
    )
    return [
        name_of(node), state, ",".join(role for role in roles if role) or "<none>",
        _since(dig(node, "metadata", "creationTimestamp"), now),
        dig(node, "status", "nodeInfo", "kubeletVersion", default=""),
    ]


def _row_object(obj: Obj, include_object: str, table_api_version: str) -> Optional[Obj]:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": table_api_version, "metadata": obj.get("metadata") or {}}


def build_table(
    rt: ResourceType,
    objects: Sequence[Obj],
    now: datetime,
    list_metadata: Obj,
    include_object: str = "Metadata",
    api_version: str = "meta.k8s.io/v1",
) -> Obj:
    """A Table of objects of one type; ``include_object`` is the request's includeObject."""
    columns = {"Pod": POD_COLUMNS, "Event": EVENT_COLUMNS, "Node": NODE_COLUMNS,
               "Namespace": NAMESPACE_COLUMNS}.get(rt.kind, NAME_AGE)
    rows = []
    for obj in objects:
        if rt.kind == "Pod":
            row: Obj = {"cells": pod_cells(obj, now)}
            conditions = pod_row_conditions(obj)
            if conditions:
                row["conditions"] = conditions
        elif rt.kind == "Event":
            row = {"cells": event_cells(obj, now)}
        elif rt.kind == "Node":
            row = {"cells": node_cells(obj, now)}
        elif rt.kind == "Namespace":
            age = _since(dig(obj, "metadata", "creationTimestamp"), now)
            row = {"cells": [name_of(obj), dig(obj, "status", "phase", default=""), age]}
        else:
            row = {"cells": [name_of(obj), _since(dig(obj, "metadata", "creationTimestamp"), now)]}
        row_object = _row_object(obj, include_object, api_version)
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": list_metadata,
        "columnDefinitions": [
            {"name": name, "type": kind, "format": "name" if name == "Name" else "", "description": name,
             "priority": priority}
            for name, kind, priority in columns
        ],
        "rows": rows,
    }
