"""The one way a result becomes a document for ``-o json|yaml``: camelCase keys, RFC 3339 times.

Results stay typed (datetimes, references, nested dataclasses) until they are printed; this
walks them once, so every command writes times as ``2026-01-02T03:04:05Z`` and keys as
``manifestFound``. A dataclass says what it shows with two optional class attributes:
``DOCUMENT_FIELDS``, the attribute names (fields or properties) in the order they appear, when
that is not simply its fields; and ``DOCUMENT_KEYS``, a key for a name whose camelCase is not the
right key. A field with ``metadata={"document": False}`` (a password, the raw pod) never appears;
a name in ``DOCUMENT_IF_SET`` appears only when it holds something (``context``, set only when a
command read several contexts).
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any, Iterable

from .kube import rfc3339


def as_document(value: Any) -> Any:
    """Plain JSON-ready data for ``value``.

    >>> from dataclasses import dataclass
    >>> from datetime import timezone
    >>> @dataclass
    ... class Seen:
    ...     first_seen: datetime
    ...     pod_names: tuple
    >>> as_document(Seen(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), ("a", "b")))
    {'firstSeen': '2026-01-02T03:04:05Z', 'podNames': ['a', 'b']}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        keys, optional = getattr(value, "DOCUMENT_KEYS", {}), getattr(value, "DOCUMENT_IF_SET", ())
        return {keys.get(name) or camel(name): as_document(getattr(value, name)) for name in _shown(value)
                if name not in optional or getattr(value, name) not in (None, [], ())}
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {key: as_document(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [as_document(item) for item in value]
    return value


def _shown(value: Any) -> Iterable[str]:
    declared = getattr(value, "DOCUMENT_FIELDS", None)
    if declared is not None:
        return declared
    return [f.name for f in dataclasses.fields(value) if f.metadata.get("document", True)]


def camel(name: str) -> str:
    """``manifest_found`` -> ``manifestFound``.

    >>> camel("manifest_found"), camel("tls_ok"), camel("image")
    ('manifestFound', 'tlsOk', 'image')
    """
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def documents(values: Iterable[Any]) -> list:
    """A list of documents, one per result."""
    return [as_document(value) for value in values]


__all__ = ["as_document", "camel", "documents"]
