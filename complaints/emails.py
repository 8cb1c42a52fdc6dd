"""Notification emails: rendered from templates (text and HTML) in the reader's language.

Templates: `web/email/<name>_subject.txt`, `<name>.txt`, `<name>.html` in any app's
templates (so tests/web/test_i18n.py checks their strings). Sent through Django's email
backend (the console in development).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def user_language(user) -> str:
    """The language `user` reads (their chosen one), else the site's default (Chinese)."""
    languages = {code for code, _ in settings.LANGUAGES}
    preference = getattr(user, "preference", None) if user is not None else None
    language = getattr(preference, "language", "") if preference is not None else ""
    return language if language in languages else settings.LANGUAGE_CODE


def render_mail(name: str, context: dict, *, language: str) -> tuple[str, str, str]:
    """(subject, text, html) of template set `name` in `language`."""
    with translation.override(language):
        subject = render_to_string(f"web/email/{name}_subject.txt", context)
        text = render_to_string(f"web/email/{name}.txt", context)
        html = render_to_string(f"web/email/{name}.html", context)
    # A subject is one line (a header): no newlines from the template.
    return " ".join(subject.split()), text, html


def send_templated_mail(
    *,
    to: Iterable[str],
    name: str,
    context: dict,
    language: str | None = None,
    fail_silently: bool = False,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> int:
    """Send one email rendered from template set `name` to `to`; returns 1 when sent."""
    recipients = [address for address in to if address]
    if not recipients:
        return 0
    context = {"site_url": settings.SITE_URL, **context}
    subject, text, html = render_mail(name, context, language=language or settings.LANGUAGE_CODE)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach_alternative(html, "text/html")
    for file_name, content, media_type in attachments:
        message.attach(file_name, content, media_type)
    return message.send(fail_silently=fail_silently)
