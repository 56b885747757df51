"""Kubernetes resource quantities: `500m`, `1.5Gi`, `1e3`, `128974848`.

The grammar is that of k8s.io/apimachinery/pkg/api/resource:

    quantity ::= [sign] number suffix
    number   ::= digits | digits "." [digits] | "." digits
    suffix   ::= "" | n | u | m | k | M | G | T | P | E        (decimal SI)
               | Ki | Mi | Gi | Ti | Pi | Ei                    (binary SI)
               | (e | E) [sign] digits                          (decimal exponent)
"""
from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

Number = str | int | float | Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<binary>[KMGTPE]i)|[eE](?P<exponent>[+-]?[0-9]+)|(?P<decimal>[numkMGTPE]?))"
)
_MAX_EXPONENT = 100  # Kubernetes rejects absurd magnitudes too; keeps Decimal cheap


def parse_quantity(value: Number) -> Decimal:
    """The exact value of a Kubernetes quantity; ValueError if it is not one.

    >>> parse_quantity("500m"), parse_quantity("1Ki"), parse_quantity("1e3")
    (Decimal('0.500'), Decimal('1024'), Decimal('1E+3'))
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a quantity")
    if isinstance(value, Decimal):
        return _finite(value, value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _finite(Decimal(repr(value)), value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a quantity")
    match = _QUANTITY.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a quantity (e.g. 500m, 0.5, 128Mi, 1Gi, 1e3)")
    number = Decimal(match["number"])
    if match["binary"]:
        return number * _BINARY[match["binary"]]
    exponent = int(match["exponent"]) if match["exponent"] is not None else _DECIMAL[match["decimal"]]
    if abs(exponent) > _MAX_EXPONENT:
        raise ValueError(f"{value!r} is out of range")
    return number.scaleb(exponent)


def _finite(number: Decimal, original: object) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"{original!r} is not a quantity")
    return number


def _ceil(number: Decimal) -> int:
    try:
        return int(number.to_integral_value(rounding=ROUND_CEILING))
    except (InvalidOperation, OverflowError) as error:  # pragma: no cover - guarded by _MAX_EXPONENT
        raise ValueError(f"{number} is out of range") from error


def cpu_to_nano(quantity: Number) -> int:
    """CPU cores as billionths (Docker's NanoCpus), rounded up: `"500m"` -> 500_000_000."""
    return _ceil(parse_quantity(quantity) * 1_000_000_000)


def cpu_to_milli(quantity: Number) -> int:
    """CPU cores as thousandths, rounded up like Kubernetes' MilliValue: `"0.25"` -> 250."""
    return _ceil(parse_quantity(quantity) * 1000)


def memory_to_bytes(quantity: Number) -> int:
    """Bytes, rounded up like Kubernetes' Value(): `"128Mi"` -> 134217728."""
    return _ceil(parse_quantity(quantity))


def is_quantity(value: object) -> bool:
    """True if `value` parses as a quantity (for a jsonschema format checker)."""
    try:
        parse_quantity(value)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True
