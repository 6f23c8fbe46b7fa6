"""Resource quantities as the kubelet writes them, and fix sizes (core/quantity.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

import pytest

from kubectl_pullmedic.core.quantity import format_bytes, parse_bytes, parse_quantity, suggest_size


@pytest.mark.parametrize(
    "text,expected",
    [
        ("0", 0),
        ("88Mi", 88 * 2**20),
        ("4395616Ki", 4395616 * 1024),
        ("1.2Gi", 1288490189),  # rounded up to whole bytes
        ("50Gi", 50 * 2**30),
        ("128M", 128_000_000),
        ("7G", 7_000_000_000),
        ("46993491787", 46993491787),
        ("1e3", 1000),
        ("1E3", 1000),
        ("1.5k", 1500),
        ("-2348Ki", -2348 * 1024),
        ("100m", 1),  # a tenth of a byte rounds up
        (" 64Mi ", 64 * 2**20),
    ],
)
def test_parse_bytes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "Mi", "1.2.3Gi", "12 Gi", "1Kb", "ten", None, 5])
def test_not_quantities(text: object) -> None:
    assert parse_quantity(text) is None and parse_bytes(text) is None


def test_parse_quantity_is_exact() -> None:
    assert parse_quantity("1.2Gi") == Decimal("1.2") * 2**30
    assert parse_quantity("5u") == Decimal("0.000005")


@pytest.mark.parametrize(
    "size,expected",
    [(0, "0"), (1000, "1000"), (1024, "1Ki"), (1536 * 2**20, "1536Mi"), (2**30, "1Gi"), (3 * 2**40, "3Ti")],
)
def test_format_bytes(size: int, expected: str) -> None:
    assert format_bytes(size) == expected
    assert parse_bytes(expected) == size


@pytest.mark.parametrize(
    "usage,headroom,expected",
    [
        ("1.2Gi", 0.25, "1536Mi"),
        ("1843Mi", 0.25, "2304Mi"),
        ("108Ki", 0.25, "16Mi"),  # never below 16Mi
        ("40Gi", 0.25, "52Gi"),
        ("2Gi", 0.5, "3Gi"),
        ("1Gi", 0.5, "1536Mi"),
    ],
)
def test_suggest_size(usage: str, headroom: float, expected: str) -> None:
    observed: Optional[int] = parse_bytes(usage)
    assert observed is not None
    suggestion = suggest_size(observed, headroom)
    assert suggestion == expected
    wanted = observed * (1 + headroom)
    assert wanted * 0.999999 <= (parse_bytes(suggestion) or 0) <= max(wanted * 1.07, 16 * 2**20)

