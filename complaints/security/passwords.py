"""Password rules beyond Django's validators: several kinds of character."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> set[str]:
    """Which kinds of character `password` uses: lower, upper, digit, other."""
    classes = set()
    for char in password:
        if char.isascii() and char.islower():
            classes.add("lower")
        elif char.isascii() and char.isupper():
            classes.add("upper")
        elif char.isdigit():
            classes.add("digit")
        else:  # punctuation, spaces, and letters of other scripts (汉字)
            classes.add("other")
    return classes


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, others.

    Length alone lets "aaaaaaaaaa" through; the common practice of China's graded
    protection standard (GB/T 22239, 等保) asks for three kinds of character.
    """

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(
                _("密码须包含以下至少 %(min)d 类字符：小写字母、大写字母、数字、其他符号。")
                % {"min": self.min_classes},
                code="password_too_uniform",
                params={"min": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("密码须包含以下至少 %(min)d 类字符：小写字母、大写字母、数字、其他符号。") % {
            "min": self.min_classes
        }
