"""What a person chose for themselves: the language their pages and emails are in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .parties import User


class UserPreference(models.Model):
    """One row per user who chose something; without it the site's defaults apply."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="preference"
    )
    # Notifications go out in this language (complaints.emails.user_language); the
    # language switch of the web pages sets it.
    language = models.CharField(
        _("语言"), max_length=16, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("个人偏好")
        verbose_name_plural = _("个人偏好")

    def __str__(self) -> str:
        return f"{self.user_id} {self.language}"


def remember_language(user: User, language: str) -> None:
    """Keep `language` as what `user` reads (a known language only)."""
    if language in {code for code, _name in settings.LANGUAGES}:
        UserPreference.objects.update_or_create(user=user, defaults={"language": language})
