"""Text from the cluster or a registry never reaches a terminal with a raw control character.

Anyone who can create a pod or an event writes text that pullmedic prints (names, messages,
annotations, a registry's error body). An ESC starts a sequence that can retitle the window,
clear the screen, hide lines or forge a hyperlink; CR and backspace overwrite what was
printed; bidi overrides reorder it (the class of CVE-2021-25743 in kubectl). Before a report is
rendered as text, every string in it is neutralised here: ESC becomes ``^[`` as kubectl prints it,
other C0 and C1 controls, DEL, format characters (bidi, zero-width) and lone surrogates become
visible ``\\xNN`` / ``\\uNNNN`` escapes. Documents (``-o json|yaml``) are escaped by their
encoders and keep the exact text.
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from typing import Any, Tuple


def neutralise(text: str, keep_layout: bool = False) -> str:
    """``text`` with every character a terminal would act on made visible (newlines and tabs kept on
    request, for a message of several lines or a template's own layout).

    >>> neutralise("ok\\x1b]0;pwned\\x07 \\u202eevil \\x9b2J line\\nnext\\r")
    'ok^[]0;pwned\\\\x07 \\\\u202eevil \\\\x9b2J line\\\\nnext\\\\r'
    >>> neutralise("plain text: nothing changes")
    'plain text: nothing changes'
    """
    if text.isprintable():
        return text
    return "".join(char if keep_layout and char in "\n\t" else _visible(char) for char in text)


def _visible(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if char == "\x1b":
        return "^["
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if code < 0x100 and unicodedata.category(char) == "Cc":
        return f"\\x{code:02x}"
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return f"\\u{code:04x}"
    return char  # a space separator other than U+0020: shown as it is


def safe_report(value: Any) -> Any:
    """The report (dataclasses, dicts, lists, strings) with every string neutralised: a copy of what
    held a control character, the very object where nothing did (most of a large report).

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Row:
    ...     name: str
    ...     notes: tuple
    >>> safe_report(Row("web\\x1b[2J", ("a\\rb",)))
    Row(name='web^[[2J', notes=('a\\\\rb',))
    >>> row = Row("web", ("ok",))
    >>> safe_report(row) is row
    True
    """
    if isinstance(value, str):
        return value if value.isprintable() else neutralise(value)
    if isinstance(value, (int, float, type(None))):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for name in _shown_fields(type(value)):
            item = getattr(value, name)
            safe = safe_report(item)
            if safe is not item:
                changes[name] = safe
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, dict):
        pairs = [(key, item, safe_report(key), safe_report(item)) for key, item in value.items()]
        if all(safe_key is key and safe_item is item for key, item, safe_key, safe_item in pairs):
            return value
        return {safe_key: safe_item for _, _, safe_key, safe_item in pairs}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        safe_items = [safe_report(item) for item in items]
        if all(safe is item for safe, item in zip(safe_items, items)):
            return value
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
            return type(value)(*safe_items)
        return type(value)(safe_items)
    return value


@functools.lru_cache(maxsize=None)
def _shown_fields(kind: type) -> Tuple[str, ...]:
    """A dataclass's fields a view may print: a field never shown (metadata "document": False, e.g. the
    raw pod behind a row) is left as it is."""
    return tuple(f.name for f in dataclasses.fields(kind) if f.init and f.metadata.get("document", True))
