"""Account forms and views: login, password reset and the consumer's sign-up."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from complaints.choices import Role
from complaints.models import User
from complaints.models.preferences import remember_language
from complaints.security.lockout import LockoutMessageMixin
from complaints.verification import (
    CODE_TTL,
    CodeRefused,
    TooManyCodes,
    code_check,
    code_done,
    code_issue,
    pending,
)
from complaints.web.forms import WebFormMixin


class LoginForm(LockoutMessageMixin, WebFormMixin, auth_forms.AuthenticationForm):
    """Django's login form, rendered accessibly; the username is the phone or email. A
    locked login says so, and until when, rather than "wrong password"."""

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


# --- Consumer sign-up with a verification code -----------------------------------------

PHONE = re.compile(r"^1[3-9]\d{9}$")


def normalise_contact(value: str) -> tuple[str, str]:
    """("phone", "13800138000") or ("email", "a@b.cn"); ValidationError otherwise."""
    value = (value or "").strip()
    if "@" in value:
        validate_email(value)
        local, _at, domain = value.rpartition("@")
        return "email", f"{local}@{domain.lower()}"
    digits = re.sub(r"[\s\-()]", "", value)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    if not PHONE.match(digits):
        raise forms.ValidationError(_("请输入中国大陆手机号（11 位）或邮箱地址。"))
    return "phone", digits


def contact_taken(kind: str, contact: str) -> bool:
    """Whether an account already uses this phone or email (as login name or contact)."""
    if User.objects.filter(username__iexact=contact).exists():
        return True
    if kind == "email":
        return User.objects.filter(email__iexact=contact).exists()
    # Phones are encrypted at rest where the security layer is installed: it finds them
    # by a keyed hash (User.objects.with_phone); otherwise the plain column.
    with_phone = getattr(User.objects, "with_phone", None)
    if with_phone is not None:
        return with_phone(contact).exists()
    return User.objects.filter(phone=contact).exists()


class SignupForm(WebFormMixin, forms.Form):
    contact = forms.CharField(
        label=_("手机号或邮箱"),
        max_length=254,
        help_text=_("用于登录和接收验证码、处理进度通知。"),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    display_name = forms.CharField(
        label=_("姓名"),
        max_length=100,
        help_text=_("投诉和调解文书中使用的真实姓名。"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_contact(self) -> str:
        kind, contact = normalise_contact(self.cleaned_data["contact"])
        if contact_taken(kind, contact):
            raise forms.ValidationError(_("该手机号或邮箱已注册。请直接登录，或使用“忘记密码”。"))
        self.kind = kind
        return contact

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif first and data.get("contact"):
            probe = User(
                username=data["contact"],
                email=data["contact"] if getattr(self, "kind", "") == "email" else "",
                display_name=data.get("display_name", ""),
            )
            try:
                validate_password(first, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class CodeForm(WebFormMixin, forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        min_length=6,
        max_length=6,
        help_text=_("6 位数字。"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("验证码是 6 位数字。"))
        return code


REFUSALS = {
    "wrong": _("验证码不正确。"),
    "expired": _("验证码已过期，请重新获取。"),
    "locked": _("错误次数过多，此验证码已失效，请重新获取。"),
    "missing": _("请先填写注册信息并获取验证码。"),
}


def _send_code(request: HttpRequest, form: SignupForm) -> bool:
    """Issue the code; False (with the error on the form) when sent too often."""
    data = form.cleaned_data
    try:
        code_issue(
            request.session,
            contact=data["contact"],
            kind=form.kind,
            details={
                "display_name": data["display_name"],
                "password": make_password(data["password1"]),
            },
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
    except TooManyCodes as exc:
        form.add_error(
            "contact",
            _("验证码发送太频繁，请 %(seconds)s 秒后再试。") % {"seconds": exc.wait},
        )
        return False
    return True


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Step 1: phone or email, name and password; a code goes to the phone or email."""
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignupForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _send_code(request, form):
        return redirect("accounts:signup_verify")
    return render(request, "web/accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code; right, the consumer account is made and logged in."""
    state = pending(request.session)
    if state is None:
        return redirect("accounts:signup")
    form = CodeForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            state = code_check(request.session, form.cleaned_data["code"])
        except CodeRefused as exc:
            message = REFUSALS[exc.reason]
            if exc.reason == "wrong" and exc.attempts_left:
                message = _("验证码不正确，还可以再试 %(n)s 次。") % {"n": exc.attempts_left}
            form.add_error("code", message)
        else:
            user = _create_consumer(state)
            if user is None:
                code_done(request.session)
                messages.error(request, REFUSALS["missing"])
                return redirect("accounts:signup")
            code_done(request.session)
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, _("注册成功，欢迎使用维权。"))
            return redirect("consumer:complaint_list")
    return render(
        request,
        "web/accounts/signup_verify.html",
        {
            "form": form,
            "contact": state["contact"],
            "kind": state["kind"],
            "minutes": int(CODE_TTL.total_seconds() // 60),
        },
    )


@require_POST
def signup_resend(request: HttpRequest) -> HttpResponse:
    """Send a new code for the pending sign-up (the old one stops working)."""
    state = pending(request.session)
    if state is None:
        return redirect("accounts:signup")
    try:
        code_issue(
            request.session,
            contact=state["contact"],
            kind=state["kind"],
            details=state["details"],
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
    except TooManyCodes as exc:
        messages.error(
            request, _("验证码发送太频繁，请 %(seconds)s 秒后再试。") % {"seconds": exc.wait}
        )
    else:
        messages.success(request, _("新的验证码已发送。"))
    return redirect("accounts:signup_verify")


@transaction.atomic
def _create_consumer(state: dict) -> User | None:
    """The consumer account of a verified sign-up; None if the contact was taken meanwhile."""
    kind, contact = state["kind"], state["contact"]
    if contact_taken(kind, contact):
        return None
    user = User(
        username=contact,
        role=Role.CONSUMER,
        display_name=state["details"]["display_name"],
        email=contact if kind == "email" else "",
        phone=contact if kind == "phone" else "",
    )
    user.password = state["details"]["password"]
    user.save()
    remember_language(user, translation.get_language() or settings.LANGUAGE_CODE)
    return user
