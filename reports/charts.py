"""The report's charts as SVG drawn on the server: no script, no CDN, and they print.

Each has a <title> and <desc>; the page puts the same figures in a table or a sentence beside
it (the text alternative). Text in them is escaped: names come from people.
"""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, PLOT_LEFT, PLOT_RIGHT = 640, 150, 620
LANE = 22


def _svg(height: int, title: str, desc: str, body: list[str], label: str) -> SafeString:
    return mark_safe(  # noqa: S308  # every interpolated text is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{label}-title {label}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}">'
        f'<title id="{label}-title">{escape(title)}</title>'
        f'<desc id="{label}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _x(seconds: float, span: float) -> float:
    return PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * (seconds / span if span else 0)


def _axis(span: float, y: int) -> list[str]:
    ticks = [f'<line x1="{PLOT_LEFT}" y1="{y}" x2="{PLOT_RIGHT}" y2="{y}" class="axis"/>']
    for i in range(5):
        t = span * i / 4
        ticks.append(
            f'<text x="{_x(t, span):.1f}" y="{y + 14}" class="tick" text-anchor="middle">'
            f"{_clock(t)}</text>"
        )
    return ticks


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def acknowledgements_chart(steps: Sequence[tuple[float, int]], *, span: float) -> SafeString:
    """A step line: acknowledgements so far against time since the declaration."""
    height, top, bottom = 200, 10, 170
    most = steps[-1][1] if steps else 0
    span = max(span, steps[-1][0] if steps else 0, 1)

    def y(n: int) -> float:
        return bottom - (bottom - top) * (n / most if most else 0)

    points = [f"{PLOT_LEFT},{bottom}"]
    for t, n in steps:
        points += [f"{_x(t, span):.1f},{y(n - 1):.1f}", f"{_x(t, span):.1f},{y(n):.1f}"]
    points.append(f"{PLOT_RIGHT},{y(most):.1f}")
    body = [
        f'<text x="{PLOT_LEFT - 8}" y="{top + 10}" class="tick" text-anchor="end">{most}</text>',
        f'<text x="{PLOT_LEFT - 8}" y="{bottom}" class="tick" text-anchor="end">0</text>',
        f'<polyline points="{" ".join(points)}" class="line"/>',
        *_axis(span, bottom),
    ]
    desc = f"{most} acknowledgements; the last {_clock(steps[-1][0]) if steps else '-'} after"
    return _svg(height, "Acknowledgements over time", desc + " the declaration.", body, "acks")


def outcomes_chart(counts: dict[str, int]) -> SafeString:
    """Horizontal bars: attempts per outcome."""
    rows = sorted(counts.items(), key=lambda item: -item[1])
    most = max(counts.values(), default=0)
    body = []
    for i, (outcome, n) in enumerate(rows):
        y = 10 + i * LANE
        width = (PLOT_RIGHT - PLOT_LEFT) * n / most if most else 0
        body += [
            f'<text x="{PLOT_LEFT - 8}" y="{y + 14}" class="tick" text-anchor="end">'
            f"{escape(outcome)}</text>",
            f'<rect x="{PLOT_LEFT}" y="{y}" width="{width:.1f}" height="{LANE - 6}" '
            f'class="bar outcome-{escape(outcome)}"/>',
            f'<text x="{PLOT_LEFT + width + 4:.1f}" y="{y + 14}" class="tick">{n}</text>',
        ]
    if not rows:
        body.append(f'<text x="{PLOT_LEFT}" y="24" class="tick">No call-out attempts.</text>')
    desc = ", ".join(f"{outcome}: {n}" for outcome, n in rows) or "No call-out attempts."
    return _svg(20 + LANE * max(len(rows), 1), "Attempts by outcome", desc, body, "outcomes")


def bridge_chart(
    lanes: Sequence[tuple[str, list[tuple[float, float]]]], *, span: float
) -> SafeString:
    """A swim-lane per person: a bar for each stretch they were on the bridge."""
    span = max([span, 1.0, *(end for _, spans in lanes for _, end in spans)])
    body = []
    for i, (name, spans) in enumerate(lanes):
        y = 10 + i * LANE
        body.append(
            f'<text x="{PLOT_LEFT - 8}" y="{y + 14}" class="tick" text-anchor="end">'
            f"{escape(name[:22])}</text>"
        )
        for start, end in spans:
            body.append(
                f'<rect x="{_x(start, span):.1f}" y="{y}" '
                f'width="{max(_x(end, span) - _x(start, span), 1):.1f}" height="{LANE - 6}" '
                f'class="lane"><title>{escape(name)}: {_clock(start)}–{_clock(end)}</title></rect>'
            )
    height = 30 + LANE * max(len(lanes), 1)
    body += _axis(span, height - 20)
    desc = f"{len(lanes)} people were on the bridge; the table below gives each stretch."
    return _svg(height, "Who was on the bridge when", desc, body, "bridge")
