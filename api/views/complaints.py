"""The complaints resource: one for every role, scoped to the caller by the selector."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.authentication import actor_of
from api.filters import ComplaintFilter
from api.schema import (
    FILING_EXAMPLE,
    MESSAGE_EXAMPLE,
    TRANSITION_EXAMPLES,
    problems,
)
from api.serializers import (
    COMPLAINT_COLUMNS,
    TRANSITION_SERIALIZERS,
    ComplaintCreateSerializer,
    ComplaintSerializer,
    EmptySerializer,
    EventSerializer,
    MaskedComplaintSerializer,
    MaskedEventSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    ThreadSerializer,
    TransitionListSerializer,
)
from complaints.access_log import personal_data_read
from complaints.choices import Role
from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from complaints.services import (
    complaint_file,
    thread_read,
    transitions_available,
)
from evidence.services import message_post_with_attachments
from mediation.services import transition_fire


class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[A-Z]{2}\d{8,14}"
    filterset_class = ComplaintFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Complaint.objects.none()
        qs = complaints_visible_to(actor_of(self.request))
        if self.action == "list":
            # The merchant row is not shown in the list: not joined either.
            qs = qs.select_related(None).select_related("platform", "consumer", "mediator")
            qs = qs.only(*COMPLAINT_COLUMNS)
        return qs

    def _for_regulator(self) -> bool:
        """Regulators get personal data masked (complaint, timeline)."""
        return getattr(self.request.user, "role", None) == Role.REGULATOR

    def get_serializer_class(self):
        if self.action == "create":
            return ComplaintCreateSerializer
        return MaskedComplaintSerializer if self._for_regulator() else ComplaintSerializer

    def retrieve(self, request, reference=None):
        """One complaint; a read by staff, a mediator or a regulator is logged."""
        complaint = self.get_object()
        data = self.get_serializer(complaint).data
        personal_data_read(
            actor=request.user,
            subject=complaint.consumer_id,
            fields=["display_name", "description", "order_number"],
            purpose="complaint_detail",
            complaint=complaint,
            masked=self._for_regulator(),
            request=request,
        )
        return Response(data)

    @extend_schema(
        request=ComplaintCreateSerializer,
        responses={201: ComplaintSerializer, **problems(422)},
        examples=[FILING_EXAMPLE],
    )
    def create(self, request):
        """File a complaint (consumers)."""
        serializer = ComplaintCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The service refuses anyone but an active consumer (403).
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

    def _fire(self, request, name: str) -> Response:
        """Fire transition `name` on the complaint in the URL; its fields go in the body."""
        complaint = self.get_object()
        serializer = TRANSITION_SERIALIZERS[name](data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = transition_fire(
            complaint_id=complaint.pk,
            name=name,
            actor=actor_of(request),
            params=dict(serializer.validated_data),
        )
        complaint = self.get_queryset().get(pk=complaint.pk)
        return Response(self.get_serializer_class()(complaint).data)

    @extend_schema(methods=["GET"], responses=ThreadSerializer)
    @extend_schema(
        methods=["POST"],
        request=MessageCreateSerializer,
        responses={201: MessageSerializer},
        examples=[MESSAGE_EXAMPLE],
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, reference=None):
        """The negotiation thread: reading marks it read; posting adds a message."""
        complaint = self.get_object()
        actor = actor_of(request)
        if request.method == "POST":
            serializer = MessageCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            message = message_post_with_attachments(
                complaint=complaint, actor=actor, **serializer.validated_data
            )
            return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
        messages, unread = thread_read(complaint=complaint, actor=actor)
        personal_data_read(
            actor=request.user,
            subject=complaint.consumer_id,
            fields=["messages"],
            purpose="complaint_messages",
            complaint=complaint,
            request=request,
        )
        return Response({"unread": unread, "results": MessageSerializer(messages, many=True).data})

    @extend_schema(responses=EventSerializer(many=True))
    # The whole timeline, oldest first: neither paged nor filtered like the list.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request, reference=None):
        """The timeline."""
        complaint = self.get_object()
        events = complaint.events.order_by("created_at", "id")
        serializer = MaskedEventSerializer if self._for_regulator() else EventSerializer
        data = serializer(events, many=True).data
        personal_data_read(
            actor=request.user,
            subject=complaint.consumer_id,
            fields=["display_name", "description", "messages"],
            purpose="complaint_timeline",
            complaint=complaint,
            masked=self._for_regulator(),
            request=request,
        )
        return Response(data)


def _transition_action(name: str, body: type[serializers.Serializer]):
    """`POST transitions/<name>/`: one operation per transition, so each body is documented.

    A factory rather than a loop body, so each action keeps its own `name`.
    """

    def fire(self, request, reference=None):
        return self._fire(request, name)

    fire.__name__ = fire.__qualname__ = f"transition_{name}"
    lifecycle_doc = (getattr(Complaint, name).__doc__ or "").strip()
    fire.__doc__ = (
        f"{lifecycle_doc}\n\nAllowed only in some states and for some roles: "
        "`GET transitions/` lists what the caller may fire now (403 not the caller's "
        "to fire, 409 not in this state)."
    )
    schema = extend_schema(
        operation_id=f"complaints_transition_{name}",
        summary=f"Fire `{name}`",
        request=None if body is EmptySerializer else body,
        responses={200: ComplaintSerializer, **problems(409, 422)},
        examples=TRANSITION_EXAMPLES.get(name, []),
    )
    route = action(
        detail=True,
        methods=["post"],
        url_path=f"transitions/{name}",
        url_name=f"transition-{name.replace('_', '-')}",
    )
    return schema(route(fire))


for _name, _body in TRANSITION_SERIALIZERS.items():
    setattr(ComplaintViewSet, f"transition_{_name}", _transition_action(_name, _body))
