"""The demo's "phones": a plain HTML page listing emulated calls, with a keypad and a hang-up
button for every remote participant. Plain forms, no JavaScript; the page refreshes itself."""

from html import escape

from acs_emulator.state import (
    Call,
    CallState,
    Dialect,
    Participant,
    ParticipantState,
    PlayOperation,
    Role,
    SourceKind,
)

KEYPAD = ("123", "456", "789", "*0#")
DIALECTS = {Dialect.PREVIEW: "2021 preview API", Dialect.GA: "GA API (callConnections)"}
REFRESH_SECONDS = 2
# A call-out places thousands of calls; the page, reloaded every 2 s, shows the newest ones.
MAX_CALLS_SHOWN = 100

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
section { border: 1px solid #ccc; border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
table { border-collapse: collapse; } td, th { padding: .25rem .6rem; text-align: left; }
.keypad button { width: 2.2rem; } .keypad form { display: inline; }
.muted { color: #777; } .spoken { font-style: italic; }
"""


def render_page(calls: list[Call], base: str) -> str:
    """The whole page, newest call first; `base` is the URL of the page itself (mount prefix
    included)."""
    newest = calls[::-1][:MAX_CALLS_SHOWN]
    body = "".join(_call(call, base) for call in newest) or '<p class="muted">No calls yet.</p>'
    if len(calls) > len(newest):
        body += f'<p class="muted">{len(calls) - len(newest)} older call(s): see the JSON.</p>'
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        f"<title>ACS emulator: calls</title><style>{STYLE}</style></head><body>"
        "<h1>ACS emulator</h1>"
        f'<p class="muted">Simulated calls, newest first. JSON: {_links(base)}.</p>'
        f"{body}</body></html>"
    )


def _links(base: str) -> str:
    names = ("calls", "behaviours", "faults")
    return ", ".join(f'<a href="{escape(base + name)}">{name}</a>' for name in names)


def _call(call: Call, base: str) -> str:
    rows = "".join(_participant(call, p, base) for p in call.participants.values())
    plays = ", ".join(_play(p) for p in call.plays.values())
    return (
        f"<section><h2>Call {escape(call.call_leg_id)}</h2>"
        f'<p class="muted">{escape(DIALECTS[call.dialect])}</p>'
        f"<p>State <strong>{escape(call.state.value)}</strong>"
        f"{' · ' + escape(call.subject) if call.subject else ''}"
        f" · {len(call.deliveries)} event(s) sent"
        f"{' · media: ' + plays if plays else ''}</p>"
        "<table><tr><th>Who</th><th>Role</th><th>State</th><th>Keys pressed</th><th></th></tr>"
        f"{rows}</table></section>"
    )


def _play(play: PlayOperation) -> str:
    # A text source is "spoken" here: the page shows what the person hears.
    sources = " + ".join(
        f'<q class="spoken">{escape(s.text)}</q>' if s.kind is SourceKind.TEXT else escape(s.uri)
        for s in play.sources
    )
    kind = "prompt " if play.is_prompt else ""
    return f"{kind}{escape(play.status.value)} ({sources})"


def _participant(call: Call, participant: Participant, base: str) -> str:
    return (
        f"<tr><td>{escape(participant.identifier.raw_id)}</td>"
        f"<td>{escape(participant.role.value)}</td>"
        f"<td>{escape(participant.state.value)}</td>"
        f"<td>{escape(participant.tones)}</td>"
        f"<td>{_controls(call, participant, base)}</td></tr>"
    )


def _controls(call: Call, participant: Participant, base: str) -> str:
    if participant.role is Role.APP or call.is_over or not participant.state.is_live:
        return ""
    action = f"{base}calls/{call.call_leg_id}/participants/{participant.participant_id}"
    hang_up = _form(action + "/hangup", "Hang up", None)
    if (
        participant.state is not ParticipantState.CONNECTED
        or call.state is not CallState.ESTABLISHED
    ):
        return hang_up
    keys = "<br>".join("".join(_form(action + "/tones", key, key) for key in row) for row in KEYPAD)
    return f'<div class="keypad">{keys}</div>{hang_up}'


def _form(action: str, label: str, tones: str | None) -> str:
    field = f' name="tones" value="{escape(tones)}"' if tones is not None else ""
    return (
        f'<form method="post" action="{escape(action)}">'
        f"<button{field}>{escape(label)}</button></form>"
    )
