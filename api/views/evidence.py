"""Evidence over HTTP: a case's records and uploads, downloads, verification, and the log's
public checkpoints and key."""

from __future__ import annotations

import base64
import io

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import actor_of
from complaints.access_log import personal_data_read
from evidence import notes, offline_verifier
from evidence.exceptions import EvidenceUnavailable
from evidence.log import checkpoint_time, log_origin, public_key
from evidence.models import UPLOAD_KINDS, Checkpoint, EvidenceRecord
from evidence.selectors import evidence_complaint_for, evidence_of, evidence_record_for
from evidence.services import evidence_content, evidence_upload
from evidence.verification import verify_record


class EvidenceRecordSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    leaf_index = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceRecord
        fields = [
            "id",
            "seq",
            "kind",
            "kind_label",
            "description",
            "file_name",
            "sha256",
            "size",
            "media_type",
            "submitter_role",
            "submitter_label",
            "created_at",
            "prev_hash",
            "record_hash",
            "leaf_index",
        ]
        read_only_fields = fields

    def get_leaf_index(self, record: EvidenceRecord) -> int | None:
        leaf = getattr(record, "leaf", None)  # the reverse one-to-one: absent until sequenced
        return leaf.leaf_index if leaf else None


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in UPLOAD_KINDS])
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ComplaintEvidenceView(APIView):
    """`GET, POST /api/v1/complaints/{reference}/evidence/`."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=EvidenceRecordSerializer(many=True))
    def get(self, request, reference: str):
        """The case's evidence records, oldest first (events, messages and uploads)."""
        complaint = evidence_complaint_for(actor_of(request), reference)
        return Response(EvidenceRecordSerializer(evidence_of(complaint), many=True).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceRecordSerializer},
    )
    def post(self, request, reference: str):
        """Upload a file: its type is read from the bytes; 413 too large, 415 not accepted."""
        actor = actor_of(request)
        complaint = evidence_complaint_for(actor, reference)
        if len(request.FILES.getlist("file")) > 1:
            raise ValidationError({"file": ["One file per upload."]})
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        record = evidence_upload(
            complaint_id=complaint.pk,
            actor=actor,
            data=upload.read(),
            file_name=upload.name,
            kind=serializer.validated_data["kind"],
            description=serializer.validated_data.get("description", ""),
        )
        return Response(EvidenceRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadView(APIView):
    """`GET /api/v1/evidence/{id}/download/`: always an attachment, never rendered inline."""

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(description="The file")}
    )
    def get(self, request, pk: int):
        record = evidence_record_for(actor_of(request), pk)
        data = evidence_content(record)
        if data is None:
            raise EvidenceUnavailable()
        if record.complaint_id is not None:
            personal_data_read(
                actor=request.user,
                subject=record.complaint.consumer_id,
                fields=[f"evidence:{record.pk}"],
                purpose="evidence_download",
                complaint=record.complaint,
                request=request,
            )
        name = record.file_name or f"{record.kind}-{record.pk}"
        response = FileResponse(
            io.BytesIO(data), as_attachment=True, filename=name, content_type=record.media_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        # RFC 9530: the digest of the representation, base64 between colons.
        digest = base64.b64encode(bytes.fromhex(record.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        return response


class EvidenceVerifySerializer(serializers.Serializer):
    record = serializers.IntegerField()
    ok = serializers.BooleanField()
    checks = serializers.DictField()
    problem = serializers.DictField(allow_null=True)
    inclusion = serializers.JSONField()


class EvidenceVerifyView(APIView):
    """`GET /api/v1/evidence/{id}/verify/`: recompute this record and its place in the log."""

    @extend_schema(responses=EvidenceVerifySerializer)
    def get(self, request, pk: int):
        return Response(verify_record(evidence_record_for(actor_of(request), pk)))


class CheckpointSerializer(serializers.ModelSerializer):
    time = serializers.SerializerMethodField()
    timestamp_time = serializers.DateTimeField(source="timestamp.gen_time", default=None)

    class Meta:
        model = Checkpoint
        fields = [
            "id",
            "tree_size",
            "root_hash",
            "time",
            "note",
            "consistency_proof",
            "timestamp_time",
        ]
        read_only_fields = fields

    def get_time(self, checkpoint: Checkpoint) -> str | None:
        return checkpoint_time(checkpoint.note)


class CheckpointListView(APIView):
    """`GET /api/v1/evidence/checkpoints/`: every signed tree head, newest first (public)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=CheckpointSerializer(many=True))
    def get(self, request):
        checkpoints = Checkpoint.objects.select_related("timestamp").order_by("-id")
        return Response(CheckpointSerializer(checkpoints, many=True).data)


class PublicKeySerializer(serializers.Serializer):
    origin = serializers.CharField()
    verifier_key = serializers.CharField(help_text="c2sp.org/signed-note verifier key")
    public_key_pem = serializers.CharField()
    fingerprint = serializers.CharField(
        help_text="SHA-256 of the key's DER SubjectPublicKeyInfo, as printed in evidence packages"
    )
    algorithm = serializers.CharField()


class PublicKeyView(APIView):
    """`GET /api/v1/evidence/public-key/`: the key that verifies checkpoints (public)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=PublicKeySerializer)
    def get(self, request):
        key = public_key()
        return Response(
            {
                "origin": log_origin(),
                "verifier_key": notes.verifier_key(log_origin(), key),
                "public_key_pem": notes.public_key_pem(key).decode(),
                "fingerprint": offline_verifier.key_fingerprint(key),
                "algorithm": "Ed25519",
            }
        )
