"""Account forms and views: login, password reset and the consumer's sign-up."""

from __future__ import annotations

from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from complaints.web.forms import WebFormMixin


class LoginForm(WebFormMixin, auth_forms.AuthenticationForm):
    """Django's login form, rendered accessibly; the username is the phone or email."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("手机号、邮箱或用户名")
        self.fields["password"].label = _("密码")


class PasswordResetForm(WebFormMixin, auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("注册邮箱")


class SetPasswordForm(WebFormMixin, auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")
