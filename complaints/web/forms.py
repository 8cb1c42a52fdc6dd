"""Accessible forms for every web page: label, help and errors beside each field.

`WebForm` / `WebModelForm` render `{{ form }}` and `{{ form.field.as_field_group }}`
with web/forms/*.html: the error list sits between the label and the input, has the
id `<field id>_error`, and the input points to it (aria-describedby, aria-invalid:
Django's BoundField does that). Errors a service raises go next to their field with
`add_domain_errors(form, exc)`.
"""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates

from complaints.exceptions import DomainValidationError


class WebFormRenderer(DjangoTemplates):
    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"


RENDERER = WebFormRenderer()


class WebFormMixin:
    default_renderer = RENDERER
    # Marks the fields for CSS (a red border on a field with errors).
    required_css_class = "required"
    error_css_class = "has-error"


class WebForm(WebFormMixin, forms.Form):
    """A plain form rendered accessibly."""


class WebModelForm(WebFormMixin, forms.ModelForm):
    """A model form rendered accessibly."""


def add_domain_errors(form: forms.Form, exc: DomainValidationError) -> None:
    """Put a service's field errors next to the form's fields (the rest on top)."""
    for field, messages in exc.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
