"""The reminders' dashboard pages: the list, the form (with its preview), a reminder with its
runs and confirmations, its CSV export, and cancel."""

import csv
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from config.errors import DomainError
from reminders import permissions
from reminders.forms import ReminderForm
from reminders.models import WAITING_STATES, Reminder
from reminders.selectors import answer_counts, confirmations, runs_of
from reminders.services.scheduling import cancel_reminder, create_reminder, preview_reminder

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def _guard(perms: tuple[str, ...]) -> Callable[[ViewT], ViewT]:
    """403 unless the user holds `perms` (reminders.permissions: the API's too)."""
    guard = permission_required(perms, raise_exception=True)

    def decorate(view: ViewT) -> ViewT:
        guarded: ViewT = guard(view)
        return guarded

    return decorate


@require_safe
@login_required
@_guard(permissions.VIEW)
def reminder_list(request: HttpRequest) -> HttpResponse:
    reminders = Reminder.objects.order_by("-created_at", "-id")[:200]
    return render(request, "reminders/list.html", {"reminders": reminders})


@require_safe
@login_required
@_guard(permissions.CREATE)
def reminder_new(request: HttpRequest) -> HttpResponse:
    return render(request, "reminders/new.html", {"form": ReminderForm()})


@login_required
@_guard(permissions.CREATE)
@require_POST
def reminder_preview(request: HttpRequest) -> HttpResponse:
    """The form again, with who its first run calls and when (nothing is saved)."""
    form = ReminderForm(request.POST)
    preview = None
    if form.is_valid():
        try:
            preview = preview_reminder(draft=form.draft())
        except DomainError as exc:
            form.add_error(None, exc.message)
    return render(request, "reminders/new.html", {"form": form, "preview": preview})


@login_required
@_guard(permissions.CREATE)
@require_POST
def reminder_create(request: HttpRequest) -> HttpResponse:
    form = ReminderForm(request.POST)
    if form.is_valid():
        try:
            made = create_reminder(
                draft=form.draft(),
                prompt=form.prompt_choice(),
                created_by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error("message", exc)
        else:
            messages.success(request, f"Reminder “{made.name}” scheduled.")
            return redirect("reminder_detail", reminder_id=made.pk)
    return render(request, "reminders/new.html", {"form": form}, status=400)


@require_safe
@login_required
@_guard(permissions.VIEW)
def reminder_detail(request: HttpRequest, reminder_id: int) -> HttpResponse:
    reminder = get_object_or_404(Reminder, pk=reminder_id)
    rows = list(confirmations(reminder))
    counts = answer_counts(reminder)
    live = reminder.state in WAITING_STATES
    context = {
        "reminder": reminder,
        "runs": runs_of(reminder),
        "rows": rows,
        "counts": counts,
        "live": live,
        "may_cancel": request.user.has_perms(permissions.CANCEL) and reminder.is_cancellable,
    }
    return render(request, "reminders/detail.html", context)


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class _Echo:
    """A file-like object whose write returns the line (csv.writer into a streaming answer)."""

    def write(self, value: str) -> str:
        return value


@require_safe
@login_required
@_guard(permissions.VIEW)
def reminder_export(request: HttpRequest, reminder_id: int) -> StreamingHttpResponse:
    """Every run's confirmations as CSV, streamed a row at a time."""
    reminder = get_object_or_404(Reminder, pk=reminder_id)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(
            ["occurrence", "incident", "name", "identifier", "answer", "attempts", "answered_at"]
        )
        for row in confirmations(reminder):
            yield writer.writerow(
                [
                    row.run.occurrence.isoformat(),
                    row.run.incident_id,
                    _safe(row.name),
                    row.identifier,
                    row.answer,
                    row.attempts,
                    row.answered_at.isoformat() if row.answered_at else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reminder-{reminder.pk}.csv"'
    return response


def _safe(text: str) -> str:
    # A cell a spreadsheet would read as a formula ("=HYPERLINK(...)") is quoted as text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@login_required
@_guard(permissions.CANCEL)
@require_POST
def reminder_cancel(request: HttpRequest, reminder_id: int) -> HttpResponse:
    reminder = get_object_or_404(Reminder, pk=reminder_id)
    try:
        cancel_reminder(reminder=reminder)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Cancelled: nobody more is called by it.")
    return redirect("reminder_detail", reminder_id=reminder.pk)
