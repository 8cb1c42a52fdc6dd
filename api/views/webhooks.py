"""A platform's webhook endpoints: list, register (secret shown once), disable."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from api.authentication import actor_of
from api.schema import WEBHOOK_ENDPOINT_EXAMPLE
from api.webhooks.events import WEBHOOK_EVENT_TYPES
from api.webhooks.selectors import webhook_endpoints_of
from api.webhooks.services import webhook_endpoint_create, webhook_endpoint_disable
from complaints.choices import Role


class IsPlatform(permissions.BasePermission):
    """Platform API keys and platform-role users; everyone else is 403."""

    def has_permission(self, request, view):
        actor = actor_of(request) if request.user and request.user.is_authenticated else None
        return actor is not None and actor.role == Role.PLATFORM and actor.platform is not None


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENT_TYPES),
        required=False,
        default=list,
        help_text="Event types to receive; empty means all.",
    )
    is_active = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True)


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret (`whsec_…`); shown only in this answer."
    )


class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [permissions.IsAuthenticated, IsPlatform]
    serializer_class = WebhookEndpointSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return webhook_endpoints_of(None).none()
        return webhook_endpoints_of(actor_of(self.request).platform)

    @extend_schema(
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        examples=[WEBHOOK_ENDPOINT_EXAMPLE],
    )
    def create(self, request):
        """Register an endpoint; the answer carries its signing secret, once."""
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(
            platform=actor_of(request).platform, **serializer.validated_data
        )
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def destroy(self, request, pk=None):
        """Disable an endpoint: nothing more is sent; the row and its history stay."""
        endpoint = self.get_object()
        webhook_endpoint_disable(endpoint_id=endpoint.pk, platform=endpoint.platform)
        return Response(status=status.HTTP_204_NO_CONTENT)
