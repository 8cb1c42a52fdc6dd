"""Masking of personal data for readers who do not need it (regulators, the public).

PIPL art. 6: collect and disclose no more than needed. Free text is scanned for
mainland mobile and landline numbers, resident ID numbers and e-mail addresses.
"""

from __future__ import annotations

import re

_PATTERNS = (
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"), "[电话]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[邮箱]"),
)


def mask_text(text: str) -> str:
    """Replace phone numbers, ID numbers and e-mail addresses in free text."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_name(name: str) -> str:
    """Keep the first character of a name: 张三 → 张*."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
