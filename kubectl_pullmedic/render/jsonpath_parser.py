"""The parser of kubectl's JSONPath templates: a port of k8s.io/client-go/util/jsonpath/parser.go.

Same grammar, same node shapes (as tuples), same error messages; see ``render.jsonpath`` for what
the templates do and what is not covered.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, List, Tuple

Node = Tuple[Any, ...]  # ("field", name), ("list", [nodes]), ("array", params), ("filter", left, right, op), ...
_EOF = ""
_DICT_KEY = re.compile(r"'([^']*)'")
_SLICE = re.compile(r"(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?")
_FILTER = re.compile(r"([^!<>=]+)([!<>=]+)(.+?)")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")


class JSONPathError(Exception):
    """A template that does not parse, or that fails on the data, in client-go's words."""


def parse(template: str) -> List[Node]:
    """The template's top-level nodes: ``("text", str)`` and one ``("list", nodes)`` per action.

    >>> parse('{range .items[*]}{.name}{"\\\\n"}{end}')
    [('list', [('identifier', 'range'), ('field', 'items'), ('array', [[0, False, False], [0, False, False], [0, False, False]])]), ('list', [('field', 'name')]), ('list', [('text', '\\n')]), ('list', [('identifier', 'end')])]
    >>> parse("{.items[}")
    Traceback (most recent call last):
    ...
    kubectl_pullmedic.render.jsonpath_parser.JSONPathError: unterminated array
    """
    return _Parser(template).parse()


def _is_terminator(r: str) -> bool:
    return r == _EOF or r in " \t\r\n.,[]$@{}"


def _is_digit(r: str) -> bool:
    return r != _EOF and unicodedata.category(r) == "Nd"


def _is_alphanumeric(r: str) -> bool:
    return r == "_" or (r != _EOF and (r.isalpha() or _is_digit(r)))


def _go_rune(r: str) -> str:
    """Go's ``%#U``: ``U+002A '*'``."""
    return f"U+{ord(r):04X}" + (f" '{r}'" if r.isprintable() else "")


class _Parser:
    def __init__(self, text: str) -> None:
        self.input, self.pos, self.start, self.width = text, 0, 0, 0

    def parse(self) -> List[Node]:
        root: List[Node] = []
        while True:
            brace = self.input.find("{", self.pos)
            end = len(self.input) if brace < 0 else brace
            if end > self.start:
                root.append(("text", self.input[self.start:end]))
            if brace < 0:
                return root
            self.pos = self.start = brace + 1
            action: List[Node] = []
            root.append(("list", action))
            self._action(action)

    def _consume(self) -> str:
        value, self.start = self.input[self.start:self.pos], self.pos
        return value

    def _next(self) -> str:
        if self.pos >= len(self.input):
            self.width = 0
            return _EOF
        self.width = 1
        self.pos += 1
        return self.input[self.pos - 1]

    def _peek(self) -> str:
        r = self._next()
        self.pos -= self.width
        return r

    def _action(self, cur: List[Node]) -> None:
        """Inside ``{...}``, up to and including the closing brace."""
        while True:
            rest = self.input[self.pos:]
            if rest.startswith("}"):
                self.pos += 1
                self._consume()
                return
            if rest.startswith("[?("):
                self._filter(cur)
                continue
            if rest.startswith(".."):
                self._recursive(cur)
                continue
            r = self._next()
            if r == _EOF or r in "\r\n":
                raise JSONPathError("unclosed action")
            if r in " @$":
                self._consume()
            elif r == "[":
                self._array(cur)
            elif r in "\"'":
                self._quote(cur, r)
            elif r == ".":
                self._field(cur)
            elif r in "+-" or _is_digit(r):
                self.pos -= self.width
                self._number(cur)
            elif _is_alphanumeric(r):
                self.pos -= self.width
                self._identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: {_go_rune(r)}")

    def _identifier(self, cur: List[Node]) -> None:
        while not _is_terminator(self._next()):
            pass
        self.pos -= self.width
        value = self._consume()
        cur.append(("bool", value == "true") if value in ("true", "false") else ("identifier", value))

    def _recursive(self, cur: List[Node]) -> None:
        if cur and cur[-1][0] == "recursive":
            raise JSONPathError("invalid multiple recursive descent")
        self.pos += 2
        self._consume()
        cur.append(("recursive",))
        if _is_alphanumeric(self._peek()):
            self._field(cur)

    def _number(self, cur: List[Node]) -> None:
        if self._peek() in ("+", "-"):
            self._next()
        while True:
            r = self._next()
            if r != "." and not _is_digit(r):
                self.pos -= self.width
                break
        value = self._consume()
        if _INT.fullmatch(value) and -2 ** 63 <= int(value) < 2 ** 63:
            cur.append(("int", int(value)))
        elif _FLOAT.fullmatch(value):
            cur.append(("float", float(value)))
        else:
            raise JSONPathError(f"cannot parse number {value}")

    def _array(self, cur: List[Node]) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated array")
            if r == "]":
                break
        text = self._consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            cur.append(("union", [_parse_action(f"[{part.strip(' ')}]") for part in parts]))
            return
        key = _DICT_KEY.fullmatch(text)
        if key:
            cur.extend(_parse_action(f".{key.group(1)}"))
            return
        match = _SLICE.fullmatch(text)
        if not match:
            raise JSONPathError(f"invalid array index {text}")
        params: List[List[Any]] = []  # [value, known, derived] for start, end, step
        for i, value in enumerate(match.groups(default="")):
            if value == "":
                params.append([params[0][0] + 1, True, True] if i == 1 else [0, False, False])
                continue
            value = value[1:] if i > 0 else value
            if i > 0 and value == "":
                params.append([0, False, False])
            elif not _INT.fullmatch(value):
                raise JSONPathError(f"array index {value} is not a number")
            else:
                params.append([int(value), True, False])
        cur.append(("array", params))

    def _filter(self, cur: List[Node]) -> None:
        self.pos += 3
        self._consume()
        begin = end = False
        pair = ""
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated filter")
            if r in "\"'":
                if not begin:
                    begin, pair = True, r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self._next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self._consume()[:-2]
        match = _FILTER.fullmatch(text)
        if match is None:
            cur.append(("filter", _parse_action(text), [], "exists"))
        else:
            cur.append(("filter", _parse_action(match.group(1)), _parse_action(match.group(3)), match.group(2)))

    def _quote(self, cur: List[Node], end: str) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self._consume()
        try:
            cur.append(("text", _unquote(value)))
        except ValueError:
            raise JSONPathError(f"unquote string {value} error invalid syntax") from None

    def _field(self, cur: List[Node]) -> None:
        self._consume()
        while True:
            r = self._next()
            if r == "\\":
                self._next()
            elif _is_terminator(r):
                self.pos -= self.width
                break
        value = self._consume()
        cur.append(("wildcard",) if value == "*" else ("field", value.replace("\\", "")))


def _parse_action(text: str) -> List[Node]:
    """client-go's ``parseAction``: ``text`` parsed as the inside of one action."""
    return _Parser("{" + text + "}").parse()[0][1]


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unquote(text: str) -> str:
    """client-go's ``UnquoteExtend``: Go's ``strconv.Unquote``, for single quotes too. ValueError if invalid."""
    if len(text) < 2 or text[-1] != text[0]:
        raise ValueError(text)
    quote, body = text[0], text[1:-1]
    out, i = bytearray(), 0
    while i < len(body):
        c = body[i]
        if c == quote:
            raise ValueError(text)
        if c != "\\":
            out += c.encode("utf-8", "surrogatepass")
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError(text)
        c, i = body[i + 1], i + 2
        if c in _ESCAPES:
            out += _ESCAPES[c].encode()
        elif c in "'\"":
            if c != quote:
                raise ValueError(text)
            out += c.encode()
        elif c in "xuU":
            digits = body[i:i + {"x": 2, "u": 4, "U": 8}[c]]
            if len(digits) < {"x": 2, "u": 4, "U": 8}[c] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise ValueError(text)
            value, i = int(digits, 16), i + len(digits)
            if c == "x":
                out.append(value)
            elif value > 0x10FFFF or 0xD800 <= value < 0xE000:
                raise ValueError(text)
            else:
                out += chr(value).encode()
        elif c in "01234567":
            digits = body[i - 1:i + 2]
            if not re.fullmatch(r"[0-7]{3}", digits) or int(digits, 8) > 255:
                raise ValueError(text)
            out.append(int(digits, 8))
            i += 2
        else:
            raise ValueError(text)
    return out.decode("utf-8", "replace")


