"""The evidence package over HTTP: one complaint's ZIP for a court or arbitrator (证据包)."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from api.authentication import actor_of
from complaints.access_log import personal_data_read
from evidence.package import evidence_package_build
from evidence.selectors import evidence_complaint_for

ZIP = "application/zip"


class ZipNegotiation(BaseContentNegotiation):
    """The answer is a ZIP whatever `Accept` says (no 406), and errors are problem+json."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ComplaintEvidencePackageView(APIView):
    """`GET /api/v1/complaints/{reference}/evidence-package/`."""

    # Only errors are rendered (problem+json, api/errors.py); the ZIP is answered as is.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ZipNegotiation

    @extend_schema(
        summary="Download the evidence package (证据包)",
        description=(
            "A ZIP for a court or arbitrator: every evidence record of the case with its "
            "content under `files/`, `manifest.json` (hashes, chain links, RFC 9162 inclusion "
            "proofs against a signed checkpoint covering all of them, the checkpoint note and "
            "the public key), `certificate.pdf` (电子数据存证证明) and `verify.py`, an offline "
            "verifier needing only Python and `cryptography`. A checkpoint is signed first "
            "when the latest one does not cover every record. Parties, mediators and staff "
            "of the case; regulators are refused (403)."
        ),
        responses={
            (200, ZIP): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The package, as an attachment `<reference>-evidence.zip`.",
            )
        },
    )
    def get(self, request, reference: str):
        complaint = evidence_complaint_for(actor_of(request), reference)
        data = evidence_package_build(
            complaint=complaint,
            public_key_url=request.build_absolute_uri(reverse("evidence-public-key")),
        )
        personal_data_read(
            actor=request.user,
            subject=complaint.consumer_id,
            fields=["evidence_package"],
            purpose="evidence_package",
            complaint=complaint,
            request=request,
        )
        response = HttpResponse(data, content_type=ZIP)
        response["Content-Disposition"] = (
            f'attachment; filename="{complaint.reference}-evidence.zip"'
        )
        response["Content-Length"] = str(len(data))
        response["X-Content-Type-Options"] = "nosniff"
        # Personal data of the parties: never kept by a shared cache.
        response["Cache-Control"] = "private, no-store"
        return response
