"""Accounts (namespace `accounts`): login, logout (POST), password reset, consumer sign-up."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from complaints.web import accounts

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/accounts/login.html",
            authentication_form=accounts.LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    # Django's LogoutView answers POST only: a link cannot log anyone out (CSRF).
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="web/accounts/password_reset_form.html",
            form_class=accounts.PasswordResetForm,
            email_template_name="web/email/password_reset.txt",
            html_email_template_name="web/email/password_reset.html",
            subject_template_name="web/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="web/accounts/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="web/accounts/password_reset_confirm.html",
            form_class=accounts.SetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="web/accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

urlpatterns += [
    path("signup/", accounts.signup, name="signup"),
    path("signup/verify/", accounts.signup_verify, name="signup_verify"),
    path("signup/resend/", accounts.signup_resend, name="signup_resend"),
]
