"""A Deployment with its ReplicaSet and pods, as the API server returns them, for the watch and retry tests."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from conftest import build_event, build_pod

Obj = Dict[str, Any]
HASH = "7d4b9c"


def not_found(image: str) -> str:
    return (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
            f'"{image}": failed to resolve reference "{image}": {image}: not found')


def deployment(name: str, namespace: str, image: str) -> List[Obj]:
    """The Deployment and its ReplicaSet ``NAME-7d4b9c``."""
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": name, "namespace": namespace, "uid": f"{name}-deploy-uid", "labels": labels},
              "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": template}}
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": f"{name}-{HASH}", "namespace": namespace, "uid": f"{name}-rs-uid",
                       "labels": {**labels, "pod-template-hash": HASH},
                       "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                            "uid": f"{name}-deploy-uid", "controller": True}]},
          "spec": {"replicas": 2, "selector": {"matchLabels": {**labels, "pod-template-hash": HASH}},
                   "template": {**template, "metadata": {"labels": {**labels, "pod-template-hash": HASH}}}}}
    return [deploy, rs]


def rs_pod(deploy: str, suffix: str, namespace: str, image: str, waiting: Optional[str] = "ImagePullBackOff",
           node: str = "node-a", secrets: List[str] = ()) -> Obj:
    """A pod of ``deploy``'s ReplicaSet, waiting in ``waiting`` (None: running)."""
    pod = build_pod(f"{deploy}-{HASH}-{suffix}", namespace, phase="Pending" if waiting else "Running", image=image,
                    waiting_reason=waiting, waiting_message=f'Back-off pulling image "{image}"' if waiting else "",
                    labels={"app": deploy, "pod-template-hash": HASH}, node=node, uid=f"{deploy}-{suffix}-uid")
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{deploy}-{HASH}",
                                           "uid": f"{deploy}-rs-uid", "controller": True}]
    if secrets:
        pod["spec"]["imagePullSecrets"] = [{"name": name} for name in secrets]
    return pod


def failed_event(pod: Obj, image: str, count: int = 3) -> Obj:
    return build_event(pod, "Failed", not_found(image), count=count)
