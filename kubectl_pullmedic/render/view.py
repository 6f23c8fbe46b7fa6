"""What every view shares: how to show (``View``), what is shown (``Rendered``), and the stderr lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..core.reports import Where


@dataclass(frozen=True)
class View:
    """How to show a report: the output format and the terminal's facts."""

    output: str = "table"  # table | wide | json | yaml | name | jsonpath | jsonpath-as-json | custom-columns[-file]
    template: str = ""  # the jsonpath or custom-columns template (a -file's text), for those formats
    no_headers: bool = False
    color: bool = False
    now: datetime = datetime.min


@dataclass
class Rendered:
    stdout: str = ""
    stderr: str = ""
    error: str = ""  # the output could not be made (a template failed on the data): the command's error


def warnings_text(messages: Iterable[str]) -> str:
    """Partial results are shown, and what could not be read is said, once each."""
    return "".join(f"Warning: {message}\n" for message in dict.fromkeys(messages))


def nothing_found(where: Where, what: str) -> str:
    """kubectl's wording for an empty result."""
    return f"No {what} found in {where.describe()}.\n"
