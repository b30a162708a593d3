"""The operator dashboard: thin views over incidents.selectors and the services."""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import may, requires
from accounts.roles import Action
from callouts import services as callout_services
from callouts.console import BAR_STATUSES, CALLOUT_LABELS
from callouts.models import Recipient, StopReason
from callouts.selectors import callout_of
from calls import services as call_services
from calls.models import Call, Participant
from calls.selectors import get_call_for
from calls.serializers import NotHungUpOutput
from config.errors import INVALID, DomainError, error_body
from escalations.services.declaring import declare_with_policy
from escalations.services.stepping import escalate_now
from incidents import services
from incidents.errors import CallsNotPlaced
from incidents.forms import (
    DeclareIncidentForm,
    IncidentFilterForm,
    PlayPromptForm,
    RecipientFilterForm,
    TargetsForm,
    with_choices_read_once,
)
from incidents.models import Incident
from incidents.selectors import get_incident_for, incident_list_for, incident_snapshot

LIST_PAGE_SIZE = 25


@require_safe
@requires(Action.VIEW)
def incident_list(request: HttpRequest) -> HttpResponse:
    filters = IncidentFilterForm(request.GET)
    incidents = incident_list_for(request.user, **filters.filters())
    paginator = Paginator(incidents, LIST_PAGE_SIZE)
    asked = filters.page_number()
    page = paginator.get_page(asked)  # Past the end: the last page, said so below.
    context = {
        "filters": filters,
        "page": page,
        "page_links": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "page_notice": (
            f"There is no page {asked}; showing page {page.number} of {paginator.num_pages}."
            if asked != page.number
            else ""
        ),
    }
    return render(request, "incidents/list.html", context)


@requires(Action.DECLARE)
def declare(request: HttpRequest) -> HttpResponse:
    form = DeclareIncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = declare_with_policy(
                policy=data["escalation_policy"],
                title=data["title"],
                description=data["description"],
                severity=data["severity"],
                targets=form.targets(),
                mode=data["mode"],
                prompt=data["prompt"],
                rules=data.get("rules"),
                quorum=data["quorum"],
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
@requires(Action.VIEW)
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    can = {action.value: may(request.user, action) for action in Action}
    # The page offers the controls together: only to someone who may use every one of them.
    can_act = all(can.values())
    recipient_filter = RecipientFilterForm(request.GET)
    context: dict[str, Any] = {
        "incident": incident,
        "snapshot": incident_snapshot(incident.pk, recipient_filter.recipient_page()),
        "can": can,
        "can_act": can_act,
        "recipient_filter": recipient_filter,
        "callout_labels": CALLOUT_LABELS,
        "bar_statuses": BAR_STATUSES,
    }
    if can_act:  # The controls repeat under every call: no ids, the labels wrap their inputs.
        context["invite_form"] = with_choices_read_once(TargetsForm(auto_id=False))
        context["play_form"] = with_choices_read_once(PlayPromptForm(auto_id=False))
    return render(request, "incidents/detail.html", context)


# --- Actions: one view per action, each one service call ---------------------------------


@require_POST
@requires(Action.RESOLVE)
def resolve(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    return _close(request, incident, "Incident resolved.", services.resolve_incident)


@require_POST
@requires(Action.CANCEL)
def cancel(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    return _close(request, incident, "Incident cancelled.", services.cancel_incident)


@require_POST
@requires(Action.INVITE)
def invite(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    form = TargetsForm(request.POST)
    if not form.is_valid():
        return _invalid(request, call.incident, form)
    return _act(
        request,
        call.incident,
        lambda invitation: invitation.summary,
        lambda: call_services.invite_to_call(
            call=call, targets=form.targets(), actor=_user(request)
        ),
    )


@require_POST
@requires(Action.REDIAL)
def redial(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Ringing everyone again.",
        lambda: call_services.redial_call(call=call, actor=_user(request)),
    )


@require_POST
@requires(Action.RING_AGAIN)
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
@requires(Action.REMOVE)
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
@requires(Action.PLAY)
def play(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    form = PlayPromptForm(request.POST)
    if not form.is_valid():
        return _invalid(request, call.incident, form)
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
@requires(Action.STOP_AUDIO)
def stop_audio(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Audio stopped.",
        lambda: call_services.cancel_media(call=call, actor=_user(request)),
    )


@require_POST
@requires(Action.HANG_UP)
def hang_up(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Hanging up.",
        lambda: call_services.hang_up_call(call=call, actor=_user(request)),
    )


@require_POST
@requires(Action.RETRY)
def retry(request: HttpRequest, incident_id: int, call_id: int) -> HttpResponse:
    call = _call_or_404(request, incident_id, call_id)
    return _act(
        request,
        call.incident,
        "Calling again.",
        lambda: call_services.retry_call(call=call, actor=_user(request)),
    )


@require_POST
@requires(Action.STOP_CALLOUT)
def stop_callout(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    return _act(
        request,
        incident,
        "Call-out stopped.",
        lambda: callout_services.stop_callout(
            callout=callout_of(incident), reason=StopReason.OPERATOR, actor=_user(request)
        ),
    )


@require_POST
@requires(Action.RING_AGAIN)
def ring_recipient_again(request: HttpRequest, incident_id: int, recipient_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    try:
        recipient = Recipient.objects.get(pk=recipient_id, callout__incident=incident)
    except Recipient.DoesNotExist:
        raise Http404("No such person in this call-out.") from None
    return _act(
        request,
        incident,
        f"Ringing {recipient} again.",
        lambda: callout_services.ring_recipient_again(recipient=recipient, actor=_user(request)),
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


@require_POST
@requires(Action.ESCALATE)
def escalate(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    return _act(
        request,
        incident,
        lambda done: f"Escalated: step {done.current_step} of {done.step_count} is calling.",
        lambda: escalate_now(incident=incident, actor=_user(request)),
    )


def _act(
    request: HttpRequest,
    incident: Incident,
    success: str | Callable[[Any], str],
    action: Callable[[], Any],
) -> HttpResponse:
    """Run one service call; `success` is the message, or says it from what the service did."""
    try:
        done = action()
    except DomainError as exc:
        return _refuse(request, incident, exc.status_code, error_body(exc.code, exc.message))
    return _respond(request, incident, success if isinstance(success, str) else success(done))


def _close(
    request: HttpRequest,
    incident: Incident,
    success: str,
    close: Callable[..., services.ClosedIncident],
) -> HttpResponse:
    """Resolve or cancel; closed with calls still running is done, but told as an error."""
    try:
        closed = close(incident=incident, actor=_user(request))
    except DomainError as exc:
        return _refuse(request, incident, exc.status_code, error_body(exc.code, exc.message))
    if not closed.not_hung_up:
        return _respond(request, incident, success)
    still_running = " ".join(f"{failed.message}." for failed in closed.not_hung_up)
    message = f"{success} {still_running} Hang it up again from its controls."
    if _wants_json(request):
        not_hung_up = [NotHungUpOutput(failed).data for failed in closed.not_hung_up]
        return JsonResponse({"message": message, "not_hung_up": not_hung_up})
    messages.error(request, message)
    return _to_incident(incident)


def _respond(request: HttpRequest, incident: Incident, message: str) -> HttpResponse:
    """JSON for the page's script (it stays put and shows the message); a redirect otherwise."""
    if _wants_json(request):
        return JsonResponse({"message": message})
    messages.success(request, message)
    return _to_incident(incident)


def _refuse(
    request: HttpRequest, incident: Incident, status: int, body: dict[str, Any]
) -> HttpResponse:
    """The API's error shape and status for the page's script; a message otherwise."""
    if _wants_json(request):
        return JsonResponse(body, status=status)
    messages.error(request, body["message"])
    return _to_incident(incident)


def _invalid(request: HttpRequest, incident: Incident, form: forms.Form) -> HttpResponse:
    message = " ".join(str(m) for errors in form.errors.values() for m in errors)
    body = error_body(INVALID, message, errors={f: list(e) for f, e in form.errors.items()})
    return _refuse(request, incident, HTTPStatus.BAD_REQUEST, body)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept") == "application/json"


def _to_incident(incident: Incident) -> HttpResponse:
    return redirect(reverse("incident_detail", kwargs={"incident_id": incident.pk}))
