"""The calls API (read a call, invite, remove, play, stop the audio, hang up, retry, ring
again; prompts)
and the provider's callback endpoint."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.permissions import RolePermissions, acting_user
from accounts.roles import Action
from calls import services
from calls.background import callback_sink
from calls.models import AudioPrompt, Call, Participant
from calls.selectors import calls_for
from calls.serializers import (
    AudioPromptInput,
    AudioPromptOutput,
    CallOutput,
    ParticipantOutput,
    PlayInput,
    TargetsInput,
)
from calls.services import ingest_callback
from calls.services.prompts import save_prompt
from calls.speech import DEFAULT_VOICE
from config.api_errors import ErrorOutput
from config.api_parsers import JSONParser


@method_decorator(login_not_required, name="dispatch")
class ProviderCallbackView(APIView):
    """POST /calls/<call_id>/events/<secret>/: the provider's events for one call.

    The secret in the URL is the only credential the preview API offers; it is compared in
    constant time. GA callbacks also carry a signed JWT (`Authorization: Bearer`), verified
    first. 401 wrong secret or token, 404 unknown call, 400 malformed body, 503 not stored
    (deliver again), 200 stored (a redelivered event is answered 200 and stored once).
    Each callback goes to the sink the server gave this request (calls.background): the
    process's callback pipeline under daphne, or store-and-apply inline without one.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]  # The provider reads JSON; no browsable-API negotiation.
    throttle_classes = []

    def post(self, request: Request, call_id: int, secret: str) -> Response:
        received = ingest_callback(
            call_id=call_id,
            secret=secret,
            body=request.body,
            authorization=request.headers.get("Authorization"),
            sink=callback_sink(request),
        )
        return Response({"received": received})


CALL_ACTION_RESPONSES = {
    200: CallOutput,
    409: OpenApiResponse(ErrorOutput, description="The call is not running."),
    503: OpenApiResponse(ErrorOutput, description="The provider refused or is unreachable."),
}


class CallViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[Call]):
    """A call with its participants, and what operators do to it while it runs."""

    serializer_class = CallOutput
    permission_classes = [RolePermissions]
    action_permissions = {
        "retrieve": Action.VIEW,
        "invite": Action.INVITE,
        "remove": Action.REMOVE,
        "play": Action.PLAY,
        "cancel_media": Action.STOP_AUDIO,
        "hangup": Action.HANG_UP,
        "retry": Action.RETRY,
        "redial": Action.REDIAL,
        "ring_again": Action.RING_AGAIN,
    }

    def get_queryset(self) -> QuerySet[Call]:
        return calls_for(self.request.user)

    @extend_schema(
        request=TargetsInput,
        responses={
            **CALL_ACTION_RESPONSES,
            400: OpenApiResponse(ErrorOutput, description="Not valid, or nobody to call."),
        },
    )
    @action(detail=True, methods=["post"], url_path="participants")
    def invite(self, request: Request, pk: str) -> Response:
        """Ring more people into the call; people already on it are skipped."""
        call = self.get_object()
        targets = self._valid(TargetsInput, request)["targets"]
        services.invite_to_call(call=call, targets=targets, actor=acting_user(request))
        return self._call(call)

    @extend_schema(
        request=None,
        responses={
            200: ParticipantOutput,
            409: OpenApiResponse(ErrorOutput, description="The person is not on the call."),
            503: CALL_ACTION_RESPONSES[503],
        },
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"participants/(?P<participant_id>[0-9]+)",
    )
    def remove(self, request: Request, pk: str, participant_id: str) -> Response:
        """Drop one person from the call (the participant stays listed, as `removed`)."""
        call = self.get_object()
        participant = self._participant(call, int(participant_id))
        participant = services.remove_participant(
            participant=participant, actor=acting_user(request)
        )
        return Response(ParticipantOutput(participant).data)

    @extend_schema(request=PlayInput, responses=CALL_ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def play(self, request: Request, pk: str) -> Response:
        call = self.get_object()
        # An omitted prompt stays omitted: play_prompt decides what that means.
        data = self._valid(PlayInput, request)
        services.play_prompt(call=call, **data, actor=acting_user(request))
        return self._call(call)

    @extend_schema(request=None, responses=CALL_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="cancel-media")
    def cancel_media(self, request: Request, pk: str) -> Response:
        call = self.get_object()
        services.cancel_media(call=call, actor=acting_user(request))
        return self._call(call)

    @extend_schema(request=None, responses=CALL_ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def hangup(self, request: Request, pk: str) -> Response:
        call = self.get_object()
        services.hang_up_call(call=call, actor=acting_user(request))
        return self._call(call)

    @extend_schema(
        request=None,
        responses={
            **CALL_ACTION_RESPONSES,
            409: OpenApiResponse(ErrorOutput, description="Only a failed call can be retried."),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Place a call the provider refused once more."""
        call = self.get_object()
        services.retry_call(call=call, actor=acting_user(request))
        return self._call(call)

    @extend_schema(
        request=None,
        responses={
            201: CallOutput(many=True),
            409: OpenApiResponse(
                ErrorOutput,
                description="The call has not ended, everyone on it is on another call or "
                "ringing, or the incident is closed.",
            ),
            503: OpenApiResponse(
                ErrorOutput, description="The new call is stored but the provider refused it."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def redial(self, request: Request, pk: str) -> Response:
        """Ring everyone of an ended call again, on a new call; answers the new calls."""
        call = self.get_object()
        calls = services.redial_call(call=call, actor=acting_user(request))
        fresh = self.get_queryset().filter(pk__in=[c.pk for c in calls]).order_by("id")
        return Response(CallOutput(fresh, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: CallOutput,
            409: OpenApiResponse(
                ErrorOutput,
                description="The person is on the call or ringing, or the incident is closed.",
            ),
            503: CALL_ACTION_RESPONSES[503],
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"participants/(?P<participant_id>[0-9]+)/ring-again",
    )
    def ring_again(self, request: Request, pk: str, participant_id: str) -> Response:
        """Ring one person whose attempt is over again: into the call while it runs, or on a
        new call once it has ended; answers the call they ring on."""
        call = self.get_object()
        participant = self._participant(call, int(participant_id))
        rung_on = services.ring_participant_again(
            participant=participant, actor=acting_user(request)
        )
        return self._call(rung_on)

    def _valid(self, serializer_class: type[BaseSerializer[Any]], request: Request) -> Any:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _participant(self, call: Call, participant_id: int) -> Participant:
        participant = next((p for p in call.participants.all() if p.pk == participant_id), None)
        if participant is None:
            raise NotFound("No such participant on this call.")
        participant.call = call
        return participant

    def _call(self, call: Call) -> Response:
        return Response(CallOutput(self.get_queryset().get(pk=call.pk)).data)


class AudioPromptViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[AudioPrompt],
):
    """Messages calls can play. Everyone lists them; admins upload (mono 16-bit 16 kHz WAV)."""

    queryset = AudioPrompt.objects.all()
    permission_classes = [RolePermissions]
    parser_classes = [MultiPartParser, FormParser, JSONParser]  # JSON: a typed text

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return AudioPromptInput if self.action == "create" else AudioPromptOutput

    @extend_schema(request=AudioPromptInput, responses={201: AudioPromptOutput})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(AudioPromptOutput(serializer.instance).data, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        data = serializer.validated_data
        serializer.instance = save_prompt(
            prompt=AudioPrompt(
                name=data["name"],
                text=data.get("text", ""),
                voice=data.get("voice", DEFAULT_VOICE),
                is_default=data["is_default"],
            ),
            audio=data.get("audio"),
        )
