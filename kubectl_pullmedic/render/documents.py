"""Machine-readable output: every ``-o json|yaml`` document, shaped like a Kubernetes List.

Nothing here prints a secret: callers pass data that holds none.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List

API_VERSION = "pullmedic/v1"


def list_document(kind: str, items: List[Dict[str, Any]], **extra: Any) -> Dict[str, Any]:
    """The envelope of every machine-readable output, shaped like a Kubernetes List."""
    document: Dict[str, Any] = {"apiVersion": API_VERSION, "kind": kind}
    document.update(extra)
    document["items"] = items
    return document


def document(data: Any, fmt: str) -> str:
    """JSON as kubectl prints it (4-space indent) or block-style YAML, keys in given order."""
    if fmt == "json":
        return json.dumps(data, indent=4, default=_json_default) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(json.loads(json.dumps(data, default=_json_default)), sort_keys=False, default_flow_style=False)
    raise ValueError(f"unknown document format {fmt!r}")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"cannot serialise {type(value).__name__}")
