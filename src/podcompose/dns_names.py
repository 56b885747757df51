"""DNS-1123 names, label keys and label values, as the API server checks them."""
from __future__ import annotations

import re
from typing import Any

from .errors import shown

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")

def name_error(value: Any, rule: str = "subdomain") -> str | None:
    """Why `value` is not a valid DNS-1123 `rule` ("label" or "subdomain"), or None."""
    if not isinstance(value, str):
        return None  # the schema reports the type
    limit, pattern = (63, _LABEL) if rule == "label" else (253, _SUBDOMAIN)
    if value and len(value) <= limit and pattern.match(value):
        return None
    allowed = "lowercase letters, digits, '-' and '.'" if rule == "subdomain" else "lowercase letters, digits and '-'"
    text = (f"{shown(value)} is not a valid name (DNS-1123 {rule}): use at most {limit} {allowed}, "
            "starting and ending with a letter or digit")
    fixed = _fixed_name(value, limit, rule)
    return text + (f"; did you mean {shown(fixed)}?" if fixed else "")


def _fixed_name(value: str, limit: int, rule: str) -> str | None:
    keep = "-." if rule == "subdomain" else "-"
    text = re.sub(rf"[^a-z0-9{re.escape(keep)}]+", "-", value.lower())[:limit].strip("-.")
    return text if text and text != value else None


def qualified_name_error(key: Any) -> str | None:
    """Why a label or annotation key is invalid (`prefix/name` rules), or None."""
    if not isinstance(key, str):
        return None
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return f"the prefix {shown(prefix)} of key {shown(key)} must be a DNS subdomain (e.g. example.com)"
    if not name or len(name) > 63 or not _QUALIFIED.match(name):
        return (f"key {shown(key)} is not valid: the name part must be at most 63 letters, digits, "
                "'-', '_' or '.', starting and ending with a letter or digit")
    return None


def label_value_error(value: Any) -> str | None:
    if value is None or not isinstance(value, str) or value == "":
        return None
    if len(value) <= 63 and _QUALIFIED.match(value):
        return None
    return (f"label value {shown(value)} is not valid: at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit")

