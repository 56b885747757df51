"""Kubernetes quantities: the grammar of k8s.io/apimachinery/pkg/api/resource."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podcompose.quantity import cpu_to_milli, cpu_to_nano, is_quantity, memory_to_bytes, parse_quantity


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("1", 1), ("+1", 1), ("-1", -1), ("1.5", Decimal("1.5")), (".5", Decimal("0.5")),
    ("5.", 5), ("500m", Decimal("0.5")), ("100n", Decimal("1E-7")), ("3u", Decimal("3E-6")),
    ("1k", 1000), ("1M", 10**6), ("2G", 2 * 10**9), ("1T", 10**12), ("1P", 10**15), ("1E", 10**18),
    ("1Ki", 1024), ("128Mi", 128 * 2**20), ("1.5Gi", 3 * 2**29), ("1Ti", 2**40), ("1Pi", 2**50),
    ("1Ei", 2**60), ("1e3", 1000), ("1E3", 1000), ("1e-3", Decimal("0.001")), ("12e+2", 1200),
    ("-500m", Decimal("-0.5")),
])
def test_valid_quantities(text: str, value: object) -> None:
    assert parse_quantity(text) == Decimal(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "", " ", "1 ", " 1", "m", "Ki", "1.5.5", "1KB", "1kb", "1ki", "1K", "1mi", "1e", "1e1.5", "++1",
    "1..", "e3", "1Gi ", "0x10", "1_000", "∞", "NaN", "Infinity", "1e999999", "١", "1e٣",
])
def test_invalid_quantities(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_numbers_from_yaml() -> None:
    assert parse_quantity(2) == 2
    assert parse_quantity(0.5) == Decimal("0.5")
    assert parse_quantity(Decimal("0.25")) == Decimal("0.25")
    for bad in (True, None, [], {}, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            parse_quantity(bad)  # type: ignore[arg-type]


def test_conversions_round_up_like_kubernetes() -> None:
    assert cpu_to_nano("500m") == 500_000_000
    assert cpu_to_nano(2) == 2_000_000_000
    assert cpu_to_nano("1n") == 1
    assert cpu_to_nano("0.1n") == 1  # rounded up, never to zero
    assert cpu_to_milli("0.25") == 250
    assert cpu_to_milli("100u") == 1
    assert memory_to_bytes("128Mi") == 134_217_728
    assert memory_to_bytes("1G") == 1_000_000_000
    assert memory_to_bytes("129e6") == 129_000_000
    assert memory_to_bytes("1.5") == 2
    assert memory_to_bytes(128974848) == 128974848
    with pytest.raises(ValueError):
        memory_to_bytes("lots")


def test_is_quantity() -> None:
    assert is_quantity("1Gi") and is_quantity(3)
    assert not is_quantity("1 Gi") and not is_quantity(None)


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["", "k", "M", "G", "Ki", "Mi", "Gi", "m"]))
def test_suffix_scales(number: int, suffix: str) -> None:
    scale = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "m": Decimal("0.001")}
    assert parse_quantity(f"{number}{suffix}") == number * scale[suffix]


@given(st.text(max_size=12))
def test_never_raises_anything_but_value_error(text: str) -> None:
    try:
        parse_quantity(text)
    except ValueError:
        pass
