"""The complaints resource: one for every role, scoped to the caller by the selector."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.authentication import actor_of
from api.filters import ComplaintFilter
from api.serializers import (
    TRANSITION_SERIALIZERS,
    ComplaintCreateSerializer,
    ComplaintSerializer,
    EventSerializer,
    MaskedComplaintSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    ThreadSerializer,
    TransitionListSerializer,
)
from complaints.choices import Role
from complaints.exceptions import TransitionForbidden, UnknownTransition
from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from complaints.services import (
    complaint_file,
    complaint_transition,
    message_post,
    thread_read,
    transitions_available,
)


class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[A-Z]{2}\d{8,14}"
    filterset_class = ComplaintFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Complaint.objects.none()
        return complaints_visible_to(actor_of(self.request))

    def get_serializer_class(self):
        if self.action == "create":
            return ComplaintCreateSerializer
        if getattr(self.request.user, "role", None) == Role.REGULATOR:
            return MaskedComplaintSerializer
        return ComplaintSerializer

    @extend_schema(request=ComplaintCreateSerializer, responses={201: ComplaintSerializer})
    def create(self, request):
        """File a complaint (consumers)."""
        serializer = ComplaintCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = actor_of(request)
        if actor.role != Role.CONSUMER:
            raise TransitionForbidden(action="file", role=actor.role)
        complaint = complaint_file(consumer=request.user, **serializer.validated_data)
        return Response(ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TransitionListSerializer)
    @action(detail=True, methods=["get"])
    def transitions(self, request, reference=None):
        """The transitions the caller may fire now."""
        complaint = self.get_object()
        return Response(
            {
                "status": complaint.status,
                "allowed": transitions_available(complaint, actor_of(request)),
            }
        )

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "name", str, OpenApiParameter.PATH, enum=sorted(TRANSITION_SERIALIZERS)
            )
        ],
        responses=ComplaintSerializer,
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def fire(self, request, reference=None, name=None):
        """Fire one transition; its fields go in the body."""
        complaint = self.get_object()
        body = TRANSITION_SERIALIZERS.get(name)
        if body is None:
            raise UnknownTransition(action=name)
        serializer = body(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = complaint_transition(
            complaint_id=complaint.pk,
            name=name,
            actor=actor_of(request),
            params=dict(serializer.validated_data),
        )
        complaint = self.get_queryset().get(pk=complaint.pk)
        return Response(self.get_serializer_class()(complaint).data)

    @extend_schema(methods=["GET"], responses=ThreadSerializer)
    @extend_schema(
        methods=["POST"], request=MessageCreateSerializer, responses={201: MessageSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, reference=None):
        """The negotiation thread: reading marks it read; posting adds a message."""
        complaint = self.get_object()
        actor = actor_of(request)
        if actor.role == Role.REGULATOR:
            raise TransitionForbidden(action="read_messages", role=actor.role)
        if request.method == "POST":
            serializer = MessageCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            message = message_post(
                complaint_id=complaint.pk, actor=actor, body=serializer.validated_data["body"]
            )
            return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
        messages, unread = thread_read(complaint=complaint, actor=actor)
        return Response({"unread": unread, "results": MessageSerializer(messages, many=True).data})

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, reference=None):
        """The timeline."""
        complaint = self.get_object()
        events = complaint.events.order_by("created_at", "id")
        return Response(EventSerializer(events, many=True).data)
