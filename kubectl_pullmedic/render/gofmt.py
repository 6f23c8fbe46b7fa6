"""How kubectl (Go) prints JSON values: ``fmt.Sprint`` and ``encoding/json``'s ``Marshal``.

kubectl's jsonpath and custom-columns printers print what they find with Go's formatting, so
the same data must print the same here: ``1e+06`` and ``map[a:1 b:2]`` from ``fmt``, sorted keys
and ``\\u003c`` from ``json.Marshal``. Values are what ``json.loads`` returns.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Optional, Tuple

_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _digits(value: float) -> Tuple[str, int]:
    """The shortest decimal digits that read back as ``value`` and the point's position (Go's ``decimal``)."""
    if value == 0:
        return "", 0
    sign, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(map(str, digits))
    return text, len(text) + int(exponent)


def _fixed(digits: str, point: int, precision: int) -> str:
    whole = (digits[:point] + "0" * (point - len(digits))) if point > 0 else "0"
    fraction = "".join(digits[j] if 0 <= j < len(digits) else "0" for j in range(point, point + precision))
    return whole + ("." + fraction if precision > 0 else "")


def _exponent(digits: str, point: int) -> str:
    exponent = point - 1 if digits else 0
    mantissa = (digits[:1] or "0") + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def go_float(value: float) -> str:
    """``fmt.Sprint(float64)``: shortest digits, ``%e`` form below 1e-4 or from 1e+06 up.

    >>> [go_float(v) for v in (1.0, 2.5, 123456.0, 1e6, 0.0001, 0.00001, -1.5e300, 0.0)]
    ['1', '2.5', '123456', '1e+06', '0.0001', '1e-05', '-1.5e+300', '0']
    """
    digits, point = _digits(value)
    sign = "-" if value < 0 else ""
    if digits and not -4 <= point - 1 < 6:
        return sign + _exponent(digits, point)
    return sign + _fixed(digits, point, max(len(digits) - point, 0))


def _json_float(value: float) -> str:
    """``json.Marshal(float64)``: plain digits from 1e-6 up to 1e21, else ``1e-7`` / ``1e+21``."""
    digits, point = _digits(value)
    sign = "-" if value < 0 else ""
    if value != 0 and not 1e-6 <= abs(value) < 1e21:
        text = _exponent(digits, point)
        return sign + (text[:-2] + text[-1] if text[-3:-1] == "-0" else text)
    return sign + _fixed(digits, point, max(len(digits) - point, 0))


def go_sprint(value: Any) -> str:
    """``fmt.Sprint``: ``<nil>``, ``map[k:v k2:v2]`` (sorted keys), ``[a b]``, Go's floats.

    >>> go_sprint({"b": [1, 2.0, None], "a": {"x": True}})
    'map[a:map[x:true] b:[1 2 <nil>]]'
    """
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_sprint(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(item) for item in value) + "]"
    return str(value)


def go_text(value: Any, nil: str = "<nil>") -> str:
    """A scalar as jsonpath prints it: ``fmt.Fprint``, with JSON null as ``nil`` (client-go: ``null``)."""
    return nil if value is None else go_sprint(value)


def _string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    return "".join(_HTML_ESCAPES.get(ch, ch) for ch in encoded) if any(ch in _HTML_ESCAPES for ch in text) else encoded


def go_json(value: Any, indent: Optional[str] = None, depth: int = 0) -> str:
    """``json.Marshal`` (compact) or ``json.MarshalIndent(value, "", indent)``.

    >>> go_json({"b": 1e21, "a": "<x>", "c": [0.5, 100.0]})
    '{"a":"\\\\u003cx\\\\u003e","b":1e+21,"c":[0.5,100]}'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        items = [f"{_string(str(key))}:{' ' if indent is not None else ''}{go_json(value[key], indent, depth + 1)}"
                 for key in sorted(value)]
        return _wrap("{", items, "}", indent, depth)
    return _wrap("[", [go_json(item, indent, depth + 1) for item in value], "]", indent, depth)


def _wrap(opening: str, parts: list, closing: str, indent: Optional[str], depth: int) -> str:
    if not parts:
        return opening + closing
    if indent is None:
        return opening + ",".join(parts) + closing
    inner = "\n" + indent * (depth + 1)
    return opening + inner + ("," + inner).join(parts) + "\n" + indent * depth + closing
