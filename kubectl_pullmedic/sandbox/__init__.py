"""A Kubernetes API server stand-in for tests, benchmarks and demos.

No real kube-apiserver can run on the machines this project is built on, so this threaded
HTTP server answers the requests kubectl and the ``kubernetes`` client make, in the shapes
and words of the real one: lists with paging, label and field selectors, deletes with
preconditions and dry-run, RBAC denials, discovery and server-side tables; and writes, so
that every fix the plugin prints can be rehearsed with the real kubectl: create (JSON, YAML,
protobuf for the kinds ``kubectl create`` sends that way), update with resourceVersion
conflicts, and strategic-merge, merge and JSON patches, through the registry strategies
(status, generation, validation) and OpenAPI v3 enough for ``kubectl apply``.
It never imports ``kubernetes``: it is the server, not a client.
"""

from __future__ import annotations

from kubectl_pullmedic.sandbox.api import DEFAULT_USER, ForbidRule, RecordedRequest
from kubectl_pullmedic.sandbox.harness import Sandbox, kubeconfig_document
from kubectl_pullmedic.sandbox.loading import SCENARIO_ANCHOR, SCENARIO_DIR, load_file, parse_documents

__all__ = [
    "DEFAULT_USER",
    "ForbidRule",
    "RecordedRequest",
    "SCENARIO_ANCHOR",
    "SCENARIO_DIR",
    "Sandbox",
    "kubeconfig_document",
    "load_file",
    "parse_documents",
]
