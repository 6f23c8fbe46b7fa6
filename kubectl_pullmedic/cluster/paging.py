"""Paged lists (``limit`` + ``continue``) as client-go's pager walks them, split from ``api.py``.

A page is handed on as soon as it arrives, so a caller that filters keeps memory bounded; a
continue token that expired (410 Gone) restarts the list without repeating objects; a server
that hands the same token back is stopped rather than followed forever.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional

from ..core.kube import dig
from ..errors import ApiError, Gone

Obj = Dict[str, Any]
DEFAULT_PAGE_SIZE = 500
MAX_LIST_RESTARTS = 3


def walk(fetch: Callable[[Mapping[str, str]], Any], path: str, what: str, query: Mapping[str, str],
         page_size: int = DEFAULT_PAGE_SIZE, on_metadata: Callable[[Obj], None] = lambda meta: None,
         ) -> Iterator[List[Obj]]:
    """Yield the pages ``fetch(query)`` answers for GET ``path``; ``what`` names the list in errors.

    ``on_metadata`` sees each page's list metadata (a watch starts from its ``resourceVersion``).
    """
    seen: set = set()
    restarts = 0
    token: Optional[str] = None
    tokens: set = set()
    while True:
        asked = {"limit": str(page_size), **query}
        if token:
            asked["continue"] = token
        try:
            body = fetch(asked)
        except Gone:
            if restarts >= MAX_LIST_RESTARTS:
                raise
            restarts, token = restarts + 1, None
            continue
        items = body.get("items") if isinstance(body, dict) else body
        if not isinstance(body, dict) or not isinstance(items, (list, type(None))):
            raise ApiError(f"the API server answered a list without items (GET {path})", 200)
        items = [item for item in items or [] if isinstance(item, dict)]
        if isinstance(body.get("metadata"), dict):
            on_metadata(body["metadata"])
        if restarts:
            items = [item for item in items if identity(item) not in seen]
        seen.update(identity(item) for item in items)
        if items:
            yield items
        token = dig(body, "metadata", "continue")  # a list's metadata may be anything a broken server sends
        if not isinstance(token, str) or not token:
            return
        if token in tokens:
            raise ApiError(f"the API server repeated a continue token listing {what}; stopped rather than loop", 0)
        tokens.add(token)


def identity(item: Obj) -> str:
    return str(dig(item, "metadata", "uid") or f"{dig(item, 'metadata', 'namespace')}/{dig(item, 'metadata', 'name')}")
