"""kubectl's table conventions: aligned columns, ``<none>`` for empty cells, human ages, colour.

Every function here returns text; the CLI decides where it goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, List, Optional, Sequence

from tabulate import DataRow, TableFormat, tabulate

from ..core.durations import human_duration

# kubectl's tabwriter: no borders, columns padded with three spaces, headers in capitals.
_KUBECTL_TABLE = TableFormat(
    lineabove=None,
    linebelowheader=None,
    linebetweenrows=None,
    linebelow=None,
    headerrow=DataRow("", "   ", ""),
    datarow=DataRow("", "   ", ""),
    padding=0,
    with_header_hide=None,
)

_STYLES = {"red": "31", "yellow": "33", "green": "32", "bold": "1", "dim": "2"}


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, no_headers: bool = False) -> str:
    """A kubectl-style table: three spaces between columns, ``<none>`` for an empty cell.

    The header row goes in as a data row: tabulate pads a header two extra spaces, so a column
    whose header is its widest cell would get a five-space gap where kubectl's tabwriter keeps three.

    >>> print(table(["name", "attempts", "node"], [["web", 5, None]]), end="")
    NAME   ATTEMPTS   NODE
    web    5          <none>
    """
    body = [[_cell(value) for value in row] for row in rows]
    if not body:
        return ""
    if not no_headers:
        body.insert(0, [h.upper() for h in headers])
    text = tabulate(body, tablefmt=_KUBECTL_TABLE, disable_numparse=True, stralign="left")
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def context_columns(several: bool, contexts: Sequence[str]) -> List[str]:
    """The CONTEXT cell that leads a row when a report spans several contexts (a group: each of its
    contexts, ``prod-eu,prod-us``); no cell for one context.

    >>> context_columns(True, ["prod-eu", "prod-us"]), context_columns(False, [])
    (['prod-eu,prod-us'], [])
    """
    return [",".join(contexts)] if several else []


def with_context_column(contexts: Sequence[Optional[str]], lines: Sequence[str]) -> str:
    """Lines that are not a table (``clean``'s kubectl-style lines) led by their context, padded as a column.

    >>> print(with_context_column(["a", "prod"], ['pod "x" deleted', 'pod "y" deleted']), end="")
    a      pod "x" deleted
    prod   pod "y" deleted
    """
    width = max((len(context or "") for context in contexts), default=0)
    return "".join(f"{(context or ''):<{width}}   {line}\n" for context, line in zip(contexts, lines))


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<none>"
    return str(value)


def human_age(since: Optional[datetime], now: datetime) -> str:
    """The AGE column: time since ``since`` in kubectl's words, ``<unknown>`` without a time.

    >>> from datetime import timedelta
    >>> t = datetime(2030, 1, 1)
    >>> [human_age(t - d, t) for d in (timedelta(seconds=5), timedelta(minutes=5, seconds=3),
    ...   timedelta(minutes=90), timedelta(hours=5, minutes=20), timedelta(days=3, hours=4), timedelta(days=40))]
    ['5s', '5m3s', '90m', '5h20m', '3d4h', '40d']
    """
    return "<unknown>" if since is None else human_duration((now - since).total_seconds())


def style(text: str, name: str, enabled: bool) -> str:
    """Wrap text in an ANSI colour when colour is on; the text must read the same without it."""
    if not enabled or name not in _STYLES:
        return text
    return f"\033[{_STYLES[name]}m{text}\033[0m"
