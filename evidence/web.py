"""The evidence page of a complaint (web): the files the parties uploaded, and an upload
form with a progress bar (htmx). Here, not in complaints/web/, because the core may not
import evidence (api > reporting > mediation > evidence > complaints)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.choices import Role
from complaints.exceptions import (
    DomainValidationError,
    NotFound,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.web.access import role_required
from complaints.web.forms import WebForm, add_domain_errors
from evidence.exceptions import QuotaExceeded, UnsupportedEvidenceType, UploadTooLarge
from evidence.models import UPLOAD_KINDS, Store
from evidence.selectors import evidence_complaint_for, evidence_of
from evidence.services import evidence_upload

# Who may open a case's evidence page: the parties, its mediator and staff (regulators
# never: personal data). evidence_complaint_for narrows it to the case's own people.
EVIDENCE_ROLES = (Role.CONSUMER, Role.PLATFORM, Role.MEDIATOR, Role.STAFF)


class UploadForm(WebForm):
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("照片、截图、PDF 等，每个文件不超过 %(size)s。"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("证据类型"))
    description = forms.CharField(
        label=gettext_lazy("说明（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in UPLOAD_KINDS]
        limit = settings.WEIQUAN["EVIDENCE_MAX_UPLOAD_BYTES"]
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "size": filesizeformat(limit)
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.WEIQUAN["EVIDENCE_MAX_UPLOAD_BYTES"]
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件太大（%(size)s），每个文件不超过 %(limit)s。")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


def _complaint(request: HttpRequest, reference: str):
    try:
        return evidence_complaint_for(request.actor, reference)
    except NotFound:
        raise Http404 from None
    except TransitionForbidden:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied from None


def _page(request, complaint, form, status: int = 200) -> HttpResponse:
    files = evidence_of(complaint).filter(store=Store.FILE)
    back = None
    if request.actor.role == Role.CONSUMER:
        from django.urls import reverse

        back = reverse("consumer:complaint_detail", args=[complaint.reference])
    return render(
        request,
        "web/evidence/list.html",
        {
            "complaint": complaint,
            "files": files,
            "form": form,
            "can_upload": not complaint.is_terminal or request.actor.role == Role.STAFF,
            "back": back,
            "just_filed": request.GET.get("filed") == "1",
        },
        status=status,
    )


@role_required(*EVIDENCE_ROLES)
def evidence_list(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's uploaded files; POST uploads one (evidence_upload)."""
    complaint = _complaint(request, reference)
    if request.method != "POST":
        return _page(request, complaint, UploadForm())
    form = UploadForm(data=request.POST, files=request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            evidence_upload(
                complaint_id=complaint.pk,
                actor=request.actor,
                data=upload.read(),
                file_name=upload.name,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
            )
        except UploadTooLarge:
            form.add_error("file", _("文件太大。"))
        except UnsupportedEvidenceType:
            form.add_error(
                "file",
                _("不支持这种文件。请上传图片（JPEG、PNG、GIF、WebP、HEIC）、PDF 或纯文本文件。"),
            )
        except QuotaExceeded:
            form.add_error("file", _("这件投诉的证据已达到数量或容量上限。"))
        except DomainValidationError as exc:
            add_domain_errors(form, exc)
        except (TransitionConflict, TransitionForbidden):
            form.add_error(None, _("这件投诉当前不能再上传证据。"))
        else:
            messages.success(request, _("证据已上传并保全：%(name)s") % {"name": upload.name})
            query = "?filed=1" if request.GET.get("filed") == "1" else ""
            return redirect(request.path + query)
    return _page(request, complaint, form)
