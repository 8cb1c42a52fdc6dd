"""Validators for identifiers the complaint domain receives from outside."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.exceptions import DomainValidationError

# GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters from this
# alphabet (no I, O, Z, S, V), the last a check character over the first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Reject a unified social credit code that is malformed or fails its check character."""
    code = value.strip().upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        raise ValidationError(
            _("统一社会信用代码应为18位数字或大写字母（不含 I、O、Z、S、V）。"), code="credit_code"
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确。"), code="credit_code")


def validate_region_code(value: str) -> None:
    """A county-level GB/T 2260 code is six digits."""
    if len(value) != 6 or not (value.isascii() and value.isdigit()):
        raise ValidationError(_("地区代码应为六位数字（GB/T 2260 县级代码）。"), code="region")


def validate_region_prefix(value: str) -> None:
    """A regulator's scope is a province (2), city (4) or county (6) code prefix."""
    if len(value) not in (2, 4, 6) or not (value.isascii() and value.isdigit()):
        raise ValidationError(_("辖区代码应为2、4或6位数字。"), code="region_prefix")


# Domain input: what services and transition methods accept from any caller.


def clean_text(value: object, field: str, *, required: bool = True, max_length: int = 5000) -> str:
    """Text as the domain stores it: a string, stripped, within `max_length`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainValidationError({field: "Must be text."})
    text = value.strip()
    if required and not text:
        raise DomainValidationError({field: "This field is required."})
    if len(text) > max_length:
        raise DomainValidationError({field: f"At most {max_length} characters."})
    return text


def clean_choice(value: object, field: str, choices: type[models.TextChoices]) -> str:
    """One of the codes of `choices`."""
    if not isinstance(value, str) or value not in choices.values:
        raise DomainValidationError({field: f"Must be one of: {', '.join(choices.values)}."})
    return value


class ErrorCollector:
    """Run several checks and raise one DomainValidationError with every field's error."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def take(self, check, *args, **kwargs):
        """The check's result, or None with its errors noted."""
        try:
            return check(*args, **kwargs)
        except DomainValidationError as exc:
            self.errors.update({k: v[0] for k, v in exc.errors.items()})
            return None

    def add(self, field: str, message: str) -> None:
        self.errors[field] = message

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainValidationError(self.errors)
