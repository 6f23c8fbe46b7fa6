"""Kubernetes resource quantities ("1536Mi", "128M", "46993491787") as numbers and back.

The kubelet writes usage with ``resource.NewQuantity(bytes, BinarySI).String()`` and
requests as the user wrote them (canonicalised), so both binary and decimal suffixes appear
in one message. Fix sizing needs them as numbers, and suggestions back in binary units.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Optional

_SUFFIXES = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}

# sign, digits with optional fraction, then a suffix or a decimal exponent (k8s.io/apimachinery
# pkg/api/resource/quantity.go accepts "1e3" and "1E3" as exponents).
_QUANTITY = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")

_BINARY_UNITS = (("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10))

MI = 2**20


def parse_quantity(text: object) -> Optional[Decimal]:
    """The value of a quantity string, or None when it is not one.

    >>> parse_quantity("1.2Gi") == Decimal("1.2") * 2**30
    True
    >>> parse_quantity("128M"), parse_quantity("0"), parse_quantity("1e3")
    (Decimal('1.28E+8'), Decimal('0'), Decimal('1E+3'))
    >>> parse_quantity("lots") is None
    True
    """
    if not isinstance(text, str):
        return None
    match = _QUANTITY.match(text.strip())
    if not match:
        return None
    sign, number, suffix = match.groups()
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    suffix = suffix or ""
    if suffix[:1] in ("e", "E"):
        value = value.scaleb(int(suffix[1:]))
    else:
        value = value * _SUFFIXES[suffix]
    return -value if sign == "-" else value


def parse_bytes(text: object) -> Optional[int]:
    """A byte quantity as a whole number of bytes, rounded up; None when not a quantity.

    >>> parse_bytes("88Mi"), parse_bytes("100060Ki"), parse_bytes("1.5k")
    (92274688, 102461440, 1500)
    """
    value = parse_quantity(text)
    if value is None:
        return None
    return int(math.ceil(value))


def format_bytes(size: int) -> str:
    """Bytes in the largest binary unit that divides them exactly, as kubectl shows them.

    >>> format_bytes(1610612736), format_bytes(3 * 2**30), format_bytes(1000), format_bytes(0)
    ('1536Mi', '3Gi', '1000', '0')
    """
    for unit, shift in _BINARY_UNITS:
        if size and size % (1 << shift) == 0:
            return f"{size >> shift}{unit}"
    return str(size)


def suggest_size(observed_bytes: int, headroom: float = 0.25) -> str:
    """A request or limit for an observed usage: headroom added, rounded up to a round number.

    The step is the power of two (at least 1Mi) just above a sixteenth of the target, so a
    suggestion is never more than about 6% above usage plus headroom and reads well.

    >>> suggest_size(int(1.2 * 2**30))
    '1536Mi'
    >>> suggest_size(100060 * 1024), suggest_size(40 * 2**30), suggest_size(0)
    ('128Mi', '52Gi', '16Mi')
    """
    target = max(observed_bytes * (1 + headroom), 16 * MI)
    step = MI
    while step * 16 < target:
        step *= 2
    # The tolerance keeps a byte of rounding in "1.2Gi" from costing a whole step.
    return format_bytes(int(math.ceil(target / step - 1e-6)) * step)
