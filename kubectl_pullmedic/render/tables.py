"""kubectl's table conventions: aligned columns, ``<none>`` for empty cells, human ages, colour.

Every function here returns text; the CLI decides where it goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

from tabulate import DataRow, TableFormat, tabulate

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


def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration``: precise when recent, coarser as it grows.

    >>> [human_duration(s) for s in (5, 150, 3600 * 5 + 60 * 7, 86400 * 3, 86400 * 400)]
    ['5s', '2m30s', '5h7m', '3d', '400d']
    """
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return f"{minutes}m" if whole % 60 == 0 else f"{minutes}m{whole % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d" if hours % 24 == 0 else f"{days}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years, rest = days // 365, days % 365
    if hours < 24 * 365 * 8:
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{years}y"


def style(text: str, name: str, enabled: bool) -> str:
    """Wrap text in an ANSI colour when colour is on; the text must read the same without it."""
    if not enabled or name not in _STYLES:
        return text
    return f"\033[{_STYLES[name]}m{text}\033[0m"
