"""Forms: the 2FA pages' six-digit code, and the admin's lock-out-aware login."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from complaints.security.lockout import LockoutMessageMixin
from complaints.web.forms import WebFormMixin


class TokenForm(WebFormMixin, forms.Form):
    token = forms.RegexField(
        label=_("验证码"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        help_text=_("身份验证器应用中显示的 6 位数字。"),
        error_messages={"invalid": _("请输入 6 位数字验证码。")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "pattern": "[0-9 ]*",
            }
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    """The admin's login form, saying when a login is locked and until when."""
