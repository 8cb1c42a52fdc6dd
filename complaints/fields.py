"""Model fields of the core: `EncryptedTextField`, personal data encrypted at rest."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminTextareaWidget, AdminTextInputWidget
from django.core import checks
from django.db import models

from complaints import encryption


class EncryptedTextField(models.TextField):
    """Text stored encrypted (complaints.encryption); Python code sees the plaintext.

    The column holds `wq1:<key id>:<ciphertext>`, or "" for an empty value, so
    `filter(field="")` still finds blank values; nothing else can be looked up by
    value (each encryption differs): store a keyed hash beside it for that.
    `max_length` is checked on the plaintext (forms, `full_clean`), not the column.

    `context` names the field in the ciphertext's associated data: give each field
    its own, and never change it (values written under the old one stop decrypting).
    """

    description = "Text encrypted at rest"

    def __init__(self, *args, context: str = "", **kwargs) -> None:
        self.context = context
        super().__init__(*args, **kwargs)

    def check(self, **kwargs) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not self.context:
            errors.append(
                checks.Error("EncryptedTextField needs a context.", obj=self, id="weiquan.E020")
            )
        return errors

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["context"] = self.context
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        # A phone number or an ID number is one line, not a text area (the admin's
        # TextField override would otherwise make it one).
        if self.max_length is not None and self.max_length <= 500:
            widget = kwargs.get("widget")
            if widget is None:
                kwargs["widget"] = forms.TextInput
            elif widget is AdminTextareaWidget or isinstance(widget, AdminTextareaWidget):
                kwargs["widget"] = AdminTextInputWidget
        return super().formfield(**kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        if not encryption.is_encrypted(value):
            # A value written before the field was encrypted (the data migration and
            # `rotate_personal_data_key` encrypt these); never one written since.
            return value
        return encryption.decrypt(value, context=self.context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        # Always sealed anew, even text that looks like a sealed value: a user could
        # type one, and it would then fail to decrypt for everyone who reads it.
        return encryption.encrypt(value, context=self.context)

    def get_db_prep_save(self, value, connection):
        return self.get_prep_value(value)
