"""The one way a result becomes a document for ``-o json|yaml``: camelCase keys, RFC 3339 times.

Results stay typed (datetimes, references, nested dataclasses) until they are printed; this
walks them once, so every command writes times as ``2026-01-02T03:04:05Z`` and keys as
``manifestFound``. A dataclass says what it shows with two optional class attributes:
``DOCUMENT_FIELDS``, the attribute names (fields or properties) in the order they appear, when
that is not simply its fields; and ``DOCUMENT_KEYS``, a key for a name whose camelCase is not the
right key. A field with ``metadata={"document": False}`` (a password, the raw pod) never appears;
a name in ``DOCUMENT_IF_SET`` appears only when it holds something (``context``, set only when a
command read several contexts; a flag only when true, ``nodeGone``).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from datetime import datetime
from typing import Any, Iterable, Tuple

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
    if value is None or type(value) in (str, int, float, bool):  # most values: leaves (not an Enum)
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        document = {}
        for name, key, optional in _layout(type(value)):
            item = getattr(value, name)
            if not optional or item not in (None, False, [], ()):
                document[key] = as_document(item)
        return document
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {key: as_document(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [as_document(item) for item in value]
    return value


@functools.lru_cache(maxsize=None)
def _layout(kind: type) -> Tuple[Tuple[str, str, bool], ...]:
    """A dataclass's shown attributes, each with its key and whether it shows only when set;
    worked out once per class (a document of 800 diagnoses asks thousands of times)."""
    keys, optional = getattr(kind, "DOCUMENT_KEYS", {}), getattr(kind, "DOCUMENT_IF_SET", ())
    return tuple((name, keys.get(name) or camel(name), name in optional) for name in _shown(kind))


def _shown(kind: type) -> Iterable[str]:
    declared = getattr(kind, "DOCUMENT_FIELDS", None)
    if declared is not None:
        return declared
    return [f.name for f in dataclasses.fields(kind) if f.metadata.get("document", True)]


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
