"""A consumer's own data: `GET /api/v1/me/data-export/`, `POST /api/v1/me/erasure/`."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from api.data_rights import consumer_data_export, consumer_erasure
from api.schema import problems
from complaints.choices import Role
from complaints.exceptions import TransitionForbidden


class ErasureSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=128, help_text="The account's password, to confirm it is the consumer asking."
    )


class ErasureResultSerializer(serializers.Serializer):
    requested_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    erased = serializers.ListField(child=serializers.CharField())
    kept = serializers.ListField(child=serializers.DictField())


class DataRightsThrottle(UserRateThrottle):
    """An export reads everything: a few per hour are plenty."""

    scope = "data_rights"
    rate = "10/hour"


def _consumer(request):
    user = request.user
    if getattr(user, "role", None) != Role.CONSUMER or not isinstance(user.pk, int):
        # Only a person's own consumer account: staff data is the centre's to manage.
        raise TransitionForbidden(action="data_rights", role=getattr(user, "role", "unknown"))
    return user


class DataExportView(APIView):
    throttle_classes = [DataRightsThrottle]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **problems(403)})
    def get(self, request):
        """Everything held about the calling consumer, as JSON (PIPL art. 45)."""
        data = consumer_data_export(user=_consumer(request))
        disposition = 'attachment; filename="my-data.json"'
        return Response(data, headers={"Content-Disposition": disposition})


class ErasureView(APIView):
    throttle_classes = [DataRightsThrottle]

    @extend_schema(
        request=ErasureSerializer,
        responses={200: ErasureResultSerializer, **problems(403, 409, 422)},
    )
    def post(self, request):
        """Erase the calling consumer's data, except what retention requires (PIPL art. 47).

        409 `erasure_refused` while a complaint is open. Otherwise the account is closed
        and the answer lists what was erased and what is kept, why, and until when.
        """
        serializer = ErasureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = consumer_erasure(
            user=_consumer(request), password=serializer.validated_data["password"]
        )
        return Response(ErasureResultSerializer(result).data)
