"""Machine-readable output: every ``-o json|yaml`` document, shaped like a Kubernetes List.

Nothing here prints a secret: callers pass data that holds none.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Sequence

from ..core.serialize import as_document

API_VERSION = "pullmedic/v1"


def list_document(kind: str, items: List[Any], warnings: Sequence[str] = (), **extra: Any) -> Dict[str, Any]:
    """The envelope of every machine-readable output, shaped like a Kubernetes List.

    ``warnings`` (what could not be read, e.g. a 403) travel with the document, as on stderr:
    a script reading only stdout still learns that the answer is partial.
    """
    document: Dict[str, Any] = {"apiVersion": API_VERSION, "kind": kind}
    if warnings:
        document["warnings"] = list(dict.fromkeys(warnings))
    document.update(extra)
    document["items"] = items
    return document


def document(data: Any, fmt: str) -> str:
    """JSON as kubectl prints it (4-space indent) or block-style YAML, keys in given order.

    ``data`` may hold results (dataclasses, datetimes): ``core.serialize`` turns them into
    plain data, so every document has camelCase keys and RFC 3339 times.
    """
    plain = as_document(data)
    if fmt == "json":
        return json.dumps(plain, indent=4) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(plain, sort_keys=False, default_flow_style=False)
    raise ValueError(f"unknown document format {fmt!r}")
