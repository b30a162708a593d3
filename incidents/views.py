"""The operator dashboard: thin views over incidents.selectors and the services."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import ACT_ON_INCIDENTS
from calls import services as call_services
from calls.models import AudioPrompt, Call, Participant
from calls.selectors import get_call_for
from config.errors import DomainError
from incidents import services
from incidents.errors import CallsNotPlaced
from incidents.forms import (
    DeclareIncidentForm,
    IncidentFilterForm,
    PlayPromptForm,
    TargetsForm,
    with_choices_read_once,
)
from incidents.models import Incident
from incidents.selectors import get_incident_for, incident_snapshot, incidents_for

act_permission = permission_required(ACT_ON_INCIDENTS, raise_exception=True)


@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    filters = IncidentFilterForm(request.GET or None)
    incidents = incidents_for(request.user)
    if filters.is_valid():
        for field in ("status", "severity"):
            if value := filters.cleaned_data[field]:
                incidents = incidents.filter(**{field: value})
    context = {"incidents": incidents[:200], "filters": filters}
    return render(request, "incidents/list.html", context)


@permission_required("incidents.add_incident", raise_exception=True)
def declare(request: HttpRequest) -> HttpResponse:
    form = DeclareIncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.declare_incident(
                title=data["title"],
                description=data["description"],
                severity=data["severity"],
                targets=form.targets(),
                mode=data["mode"],
                prompt=data["prompt"],
                declared_by=_user(request),
            )
        except CallsNotPlaced as exc:
            # Declared all the same: show the incident, where its failed calls can be retried.
            messages.error(request, exc.message)
            return redirect("incident_detail", incident_id=exc.incident.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(request, "incidents/declare.html", {"form": form})
        messages.success(request, f"Incident #{incident.pk} declared; calling now.")
        return redirect("incident_detail", incident_id=incident.pk)
    return render(request, "incidents/declare.html", {"form": form})


@require_safe
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    can_act = request.user.has_perm(ACT_ON_INCIDENTS)  # viewers get no controls at all
    context: dict[str, Any] = {
        "incident": incident,
        "snapshot": incident_snapshot(incident.pk),
        "can_act": can_act,
    }
    if can_act:  # The controls repeat under every call: no ids, the labels wrap their inputs.
        default_prompt = AudioPrompt.objects.filter(is_default=True).first()
        context["invite_form"] = with_choices_read_once(TargetsForm(auto_id=False))
        context["play_form"] = with_choices_read_once(
            PlayPromptForm(initial={"prompt": default_prompt}, auto_id=False)
        )
    return render(request, "incidents/detail.html", context)


# --- Actions: one view per action, each one service call ---------------------------------


@require_POST
@act_permission
def resolve(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    return _act(
        request,
        incident,
        "Incident resolved.",
        lambda: services.resolve_incident(incident=incident, actor=_user(request)),
    )


@require_POST
@act_permission
def cancel(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    return _act(
        request,
        incident,
        "Incident cancelled.",
        lambda: services.cancel_incident(incident=incident, actor=_user(request)),
    )


@require_POST
@act_permission
def invite(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    form = TargetsForm(request.POST)
    if not form.is_valid():
        return _respond(request, call.incident, error=_form_error(form))
    try:
        invitation = call_services.invite_to_call(
            call=call, targets=form.targets(), actor=_user(request)
        )
    except DomainError as exc:
        return _respond(request, call.incident, error=exc.message)
    return _respond(request, call.incident, message=invitation.summary)


@require_POST
@act_permission
def redial(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Ringing everyone again.",
        lambda: call_services.redial_call(call=call, actor=_user(request)),
    )


@require_POST
@act_permission
def ring_again(
    request: HttpRequest, incident_id: int, call_id: int, participant_id: int
) -> HttpResponse:
    participant = _participant_or_404(request, incident_id, call_id, participant_id)
    return _act(
        request,
        participant.call.incident,
        f"Ringing {participant} again.",
        lambda: call_services.ring_participant_again(participant=participant, actor=_user(request)),
    )


@require_POST
@act_permission
def remove(
    request: HttpRequest, incident_id: int, call_id: int, participant_id: int
) -> HttpResponse:
    participant = _participant_or_404(request, incident_id, call_id, participant_id)
    return _act(
        request,
        participant.call.incident,
        f"Removed {participant} from the call.",
        lambda: call_services.remove_participant(participant=participant, actor=_user(request)),
    )


@require_POST
@act_permission
def play(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    form = PlayPromptForm(request.POST)
    if not form.is_valid():
        return _respond(request, call.incident, error=_form_error(form))
    return _act(
        request,
        call.incident,
        "Playing.",
        lambda: call_services.play_prompt(
            call=call,
            prompt=form.cleaned_data["prompt"],
            loop=form.cleaned_data["loop"],
            actor=_user(request),
        ),
    )


@require_POST
@act_permission
def stop_audio(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Audio stopped.",
        lambda: call_services.cancel_media(call=call, actor=_user(request)),
    )


@require_POST
@act_permission
def hang_up(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Hanging up.",
        lambda: call_services.hang_up_call(call=call, actor=_user(request)),
    )


@require_POST
@act_permission
def retry(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Calling again.",
        lambda: call_services.retry_call(call=call, actor=_user(request)),
    )


# --- Helpers for the views above -------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    # LoginRequiredMiddleware lets only signed-in users reach these views.
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _incident_or_404(request: HttpRequest, incident_id: int) -> Incident:
    try:
        return get_incident_for(request.user, incident_id)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None


def _call_or_404(request: HttpRequest, incident_id: int, call_id: int) -> Call:
    try:
        call = get_call_for(request.user, call_id)
    except Call.DoesNotExist:
        raise Http404("No such call.") from None
    if call.incident_id != incident_id:
        raise Http404("No such call.")
    return call


def _participant_or_404(
    request: HttpRequest, incident_id: int, call_id: int, participant_id: int
) -> Participant:
    call = _call_or_404(request, incident_id, call_id)
    try:
        participant = call.participants.select_related("contact").get(pk=participant_id)
    except Participant.DoesNotExist:
        raise Http404("No such person on this call.") from None
    participant.call = call
    return participant


def _act(
    request: HttpRequest, incident: Incident, success: str, action: Callable[[], object]
) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        return _respond(request, incident, error=exc.message)
    return _respond(request, incident, message=success)


def _respond(
    request: HttpRequest, incident: Incident, *, message: str = "", error: str = ""
) -> HttpResponse:
    """JSON for the page's script (it stays put and shows the message); a redirect otherwise."""
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"message": message, "error": error}, status=409 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect(reverse("incident_detail", kwargs={"incident_id": incident.pk}))


def _form_error(form: TargetsForm | PlayPromptForm) -> str:
    return " ".join(str(m) for errors in form.errors.values() for m in errors)
