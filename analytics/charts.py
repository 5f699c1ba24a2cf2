"""Charts as inline SVG, drawn on the server: no JavaScript, nothing loaded from elsewhere.

Each function returns markup safe to put in a template. Every chart is an <svg role="img"> with a
<title> naming it and a `data-chart` attribute; the pages show the same numbers in a table next to
it. Plain Python with no ORM: testable without a database.
"""

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The categories' colours, shared with the stylesheet (static/edupulse/app.css).
CATEGORY_COLOURS = {
    "critical": "#8b1a1a",
    "high": "#b52b27",
    "medium": "#f0ad4e",
    "low": "#5f6b73",
}
SERIES_COLOURS = ("#1f5f99", "#d9534f", "#5b9b5b", "#8e5ea2", "#e08a1e", "#3aa3a3", "#777777")

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


def _svg(name: str, title: str, body: list[str], width: int = WIDTH, height: int = HEIGHT):
    return mark_safe(
        f'<svg class="chart" data-chart="{escape(name)}" role="img" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _empty(name: str, title: str) -> SafeString:
    return _svg(
        name,
        title,
        [
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="muted">'
            "No data yet</text>"
        ],
    )


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def _axis(top_value: float, low_value: float = 0.0, ticks: int = 4, percent: bool = False):
    """Horizontal grid lines with labels on the left; returns (markup, y of a value)."""
    plot_height = HEIGHT - TOP - BOTTOM
    span = (top_value - low_value) or 1

    def y(value: float) -> float:
        return TOP + plot_height * (1 - (value - low_value) / span)

    parts = []
    for i in range(ticks + 1):
        value = low_value + span * i / ticks
        label = f"{value:.0%}" if percent else _fmt(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{label}</text>'
        )
    return parts, y


def bar_chart(
    name: str,
    title: str,
    bars: Sequence[tuple[str, float]],
    colours: Sequence[str] | None = None,
    percent: bool = False,
    top_value: float | None = None,
) -> SafeString:
    """Vertical bars, one per (label, value)."""
    if not bars or not any(v for _, v in bars):
        return _empty(name, title)
    top = top_value or max(v for _, v in bars) or 1
    if not percent and top_value is None and all(float(v).is_integer() for _, v in bars):
        top = -(-top // 4) * 4  # counts: whole-number grid lines
    parts, y = _axis(top, percent=percent)
    slot = (WIDTH - LEFT - RIGHT) / len(bars)
    for i, (label, value) in enumerate(bars):
        colour = (colours or SERIES_COLOURS)[i % len(colours or SERIES_COLOURS)]
        x = LEFT + slot * i + slot * 0.15
        shown = f"{value:.0%}" if percent else _fmt(value)
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y(value):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{max(0.0, y(0) - y(value)):.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {shown}</title></rect>"
            f'<text class="tick" x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return _svg(name, title, parts)


def stacked_bars(
    name: str, title: str, columns: Sequence[tuple[str, dict[str, float]]], colours: dict[str, str]
) -> SafeString:
    """One stacked column per (label, {series: value}); series stacked in `colours` order."""
    totals = [sum(values.values()) for _, values in columns]
    if not columns or not any(totals):
        return _empty(name, title)
    parts, y = _axis(-(-max(totals) // 4) * 4)
    slot = (WIDTH - LEFT - RIGHT) / len(columns)
    for i, (label, values) in enumerate(columns):
        x = LEFT + slot * i + slot * 0.15
        base = 0.0
        for series in reversed(list(colours)):
            value = values.get(series, 0)
            if value:
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y(base + value):.1f}" '
                    f'width="{slot * 0.7:.1f}" height="{y(base) - y(base + value):.1f}" '
                    f'fill="{colours[series]}"><title>{escape(label)} {escape(series)}: '
                    f"{_fmt(value)}</title></rect>"
                )
            base += value
        parts.append(
            f'<text class="tick" x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(_legend(list(colours.items())))
    return _svg(name, title, parts, height=HEIGHT + _legend_height(list(colours.items())))


def _legend_layout(items: Sequence[tuple[str, str]]) -> list[tuple[float, int]]:
    """(x, row) of each legend entry: entries wrap to a new row rather than run off the chart."""
    places, x, row = [], LEFT, 0
    for label, _ in items:
        width = 24 + 7 * len(label)
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, row = LEFT, row + 1
        places.append((x, row))
        x += width
    return places


def _legend_height(items: Sequence[tuple[str, str]]) -> int:
    """The extra height the legend's wrapped rows need below the chart."""
    rows = 1 + max((row for _, row in _legend_layout(items)), default=0)
    return 14 * (rows - 1)


def _legend(items: Sequence[tuple[str, str]]) -> str:
    parts = []
    for (label, colour), (x, row) in zip(items, _legend_layout(items), strict=True):
        y = HEIGHT - 14 + 14 * row
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text class="tick" x="{x + 14}" y="{y + 9}">{escape(label)}</text>'
        )
    return "".join(parts)


def line_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    low_value: float = 0.0,
    top_value: float | None = None,
    percent: bool = False,
    diagonal: bool = False,
    markers: Sequence[tuple[int, str]] = (),
) -> SafeString:
    """Lines over shared x labels; None leaves a gap. `diagonal` draws y = x (calibration).
    `markers` are (label index, text): a dashed vertical line at that label, the text as its
    tooltip (an intervention's start or end on the student page)."""
    values = [v for _, points in series for v in points if v is not None]
    if not labels or not values:
        return _empty(name, title)
    top = top_value if top_value is not None else max(values) or 1
    parts, y = _axis(top, low_value, percent=percent)
    count = len(labels)
    step = (WIDTH - LEFT - RIGHT) / max(count - 1, 1)

    def x(i: int) -> float:
        return LEFT + step * i if count > 1 else (WIDTH - LEFT - RIGHT) / 2 + LEFT

    if diagonal:
        parts.append(
            f'<line class="diagonal" x1="{x(0):.1f}" y1="{y(low_value):.1f}" '
            f'x2="{x(count - 1):.1f}" y2="{y(top):.1f}"/>'
        )
    for i, text in markers:
        if 0 <= i < count:
            parts.append(
                f'<line class="marker" x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{TOP}" '
                f'y2="{HEIGHT - BOTTOM}" stroke="#1f5f99" stroke-width="2" stroke-dasharray="4 3">'
                f"<title>{escape(text)}</title></line>"
            )
    every = max(1, count // 10)
    for i, label in enumerate(labels):
        # Every `every`-th label, and the last one, unless a regular one sits too close to it.
        last = i == count - 1
        if (i % every == 0 and (count - 1 - i >= every or every == 1)) or last:
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for k, (series_name, points) in enumerate(series):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        segments, current = [], []
        for i, value in enumerate(points):
            if value is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{x(i):.1f},{y(value):.1f}")
        if current:
            segments.append(current)
        for segment in segments:
            parts.append(
                f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(segment)}"/>'
            )
        for i, value in enumerate(points):
            if value is not None:
                shown = f"{value:.1%}" if percent else _fmt(value)
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(series_name)} {escape(labels[i])}: {shown}</title></circle>"
                )
    if len(series) > 1:
        items = [(n, SERIES_COLOURS[k % len(SERIES_COLOURS)]) for k, (n, _) in enumerate(series)]
        parts.append(_legend(items))
        return _svg(name, title, parts, height=HEIGHT + _legend_height(items))
    return _svg(name, title, parts)


def factor_bars(
    name: str, title: str, factors: Sequence[dict], risk_score: float | None = None
) -> SafeString:
    """Horizontal bars of explained risk factors, labelled in words (each factor's "label").

    A factor's weight is its share of what pushes the risk up; with `risk_score`, each bar is
    that share of the score, on a fixed 0-100% axis, so a small push of a low risk is a short bar
    however large its share. Without it, bars are the weights on the same fixed axis. A negative
    weight (a factor lowering the risk) is drawn left of the middle line."""
    if not factors:
        return _empty(name, title)
    row = 26
    height = TOP + row * len(factors) + 24
    label_width = 230
    scale = 1.0 if risk_score is None else max(0.0, min(float(risk_score), 1.0))
    weights = [float(f.get("weight") or 0) for f in factors]
    both_ways = any(w < 0 for w in weights)
    plot = WIDTH - label_width - RIGHT - 48  # room for the value after the longest bar
    origin = label_width + (plot / 2 if both_ways else 0)
    full = plot / 2 if both_ways else plot
    parts = [
        f'<line class="grid" x1="{origin:.1f}" x2="{origin:.1f}" y1="{TOP - 4}" '
        f'y2="{height - 20}"/>'
    ]
    for share in (0.25, 0.5, 0.75, 1.0):
        for sign in (1, -1) if both_ways else (1,):
            x = origin + sign * full * share
            parts.append(
                f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 4}" y2="{height - 20}"/>'
                f'<text class="tick" x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
                f"{'-' if sign < 0 else ''}{share:.0%}</text>"
            )
    for i, (factor, weight) in enumerate(zip(factors, weights, strict=True)):
        part = abs(weight) * scale
        length = full * min(part, 1.0)
        top = TOP + row * i
        x = origin if weight >= 0 else origin - length
        colour = "#b22222" if weight >= 0 else "#2e7d32"  # direction: up (worse) or down
        label = str(factor.get("label") or factor.get("factor", "")).replace("_", " ")
        shown = f"{part:.0%}" if risk_score is not None else f"{weight:+.2f}"
        what = (
            f"about {part:.0%} of the risk score ({abs(weight):.0%} of what pushes it"
            f" {'up' if weight >= 0 else 'down'})"
            if risk_score is not None
            else f"{weight:+.3f}"
        )
        parts.append(
            f'<text class="tick" x="{label_width - 8}" y="{top + 15}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="bar" x="{x:.1f}" y="{top + 4}" width="{max(length, 1):.1f}" height="16" '
            f'fill="{colour}"><title>{escape(label)}: {what}</title></rect>'
            f'<text class="tick" x="{(x + length + 4) if weight >= 0 else (x - 4):.1f}" '
            f'y="{top + 15}" text-anchor="{"start" if weight >= 0 else "end"}">{shown}</text>'
        )
    return _svg(name, title, parts, height=height)


# --- Time axes ------------------------------------------------------------------------------------

MIN_TICK_GAP = 52  # px between axis labels: closer ones are dropped, never drawn on each other
WEEK = 7


def _month_starts(first, last) -> list:
    """The first day of each month after `first` up to `last`."""
    days = []
    year, month = first.year, first.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = first.replace(year=year, month=month, day=1)
        if day > last:
            return days
        days.append(day)


def _time_ticks(first, last, x) -> list[str]:
    """Labels along a date axis: month starts ("Sep", with the year at January and at the first
    label), or weeks for a span under two months; thinned so that no two are closer than
    MIN_TICK_GAP pixels."""
    span = (last - first).days
    if span < 60:
        days = [first + dt.timedelta(days=WEEK * k) for k in range(span // WEEK + 1)]
        texts = [f"{d:%b} {d.day}" for d in days]
    else:
        days = _month_starts(first, last)
        texts = [
            f"{d:%b %Y}" if (i == 0 or d.month == 1) else f"{d:%b}" for i, d in enumerate(days)
        ]
    parts, previous = [], None
    for day, text in zip(days, texts, strict=True):
        at = x(day)
        if previous is not None and at - previous < MIN_TICK_GAP:
            continue
        if at > WIDTH - RIGHT - 10:
            continue
        previous = at
        parts.append(
            f'<line class="grid" x1="{at:.1f}" x2="{at:.1f}" y1="{HEIGHT - BOTTOM}" '
            f'y2="{HEIGHT - BOTTOM + 4}" stroke="#767676"/>'
            f'<text class="tick" x="{at:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
    return parts


def time_chart(
    name: str,
    title: str,
    points: Sequence[tuple],
    first,
    last,
    *,
    bars: bool = False,
    top_value: float | None = None,
    percent: bool = False,
    markers: Sequence[tuple] = (),
    empty_text: str = "No data yet",
    zero_text: str | None = None,
    series: str = "",
    max_gap_days: int = 10,
) -> SafeString:
    """Values over a true time axis from `first` to `last`: `points` are (date, value or None);
    a date's x position is its distance in days from `first`, so months without values are
    drawn as gaps. As `bars`, each point is a week's bar (Monday to Sunday from its date); as a
    line, points more than `max_gap_days` apart are not joined. One colour: nothing is encoded
    by it. `markers` are (date, text): a dashed line at that date (an intervention's start or
    end). `zero_text` is said over the axis when every value is 0 (no incidents is a fact, not
    missing data)."""
    known = [(d, float(v)) for d, v in points if v is not None and d is not None]
    if not known or first is None or last is None:
        return _note(name, title, empty_text)
    # A week of room at the end for the last week's bar: lines get it too, so that charts over
    # the same dates share one axis.
    span = (last - first).days + WEEK
    plot_width = WIDTH - LEFT - RIGHT

    def x(day) -> float:
        return LEFT + plot_width * (day - first).days / span

    values = [v for _, v in known]
    top = top_value if top_value is not None else (max(values) or 1)
    if bars and not percent and top_value is None:
        top = max(4, -(-top // 4) * 4)  # counts: whole-number grid lines
    parts, y = _axis(top, percent=percent)
    parts += _time_ticks(first, last, x)
    colour = SERIES_COLOURS[0]
    for day, text in markers:
        if day is not None and first <= day <= last:
            parts.append(
                f'<line class="marker" x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{TOP}" '
                f'y2="{HEIGHT - BOTTOM}" stroke="#5a3d8a" stroke-width="2" '
                f'stroke-dasharray="4 3"><title>{escape(text)}</title></line>'
            )

    def shown(value: float) -> str:
        return f"{value:.1%}" if percent else _fmt(value)

    if bars:
        width = max(2.0, plot_width * WEEK / span * 0.7)
        for day, value in known:
            if value <= 0:
                continue
            left = x(day) + (plot_width * WEEK / span - width) / 2
            parts.append(
                f'<rect class="bar" x="{left:.1f}" y="{y(value):.1f}" width="{width:.1f}" '
                f'height="{max(0.0, y(0) - y(value)):.1f}" fill="{colour}">'
                f"<title>{escape(series)} week of {day:%b} {day.day}: {shown(value)}</title></rect>"
            )
    else:
        segment: list[str] = []
        previous = None
        for day, value in known:
            if previous is not None and (day - previous).days > max_gap_days and segment:
                parts.append(_polyline(segment, colour))
                segment = []
            segment.append(f"{x(day):.1f},{y(value):.1f}")
            previous = day
        parts.append(_polyline(segment, colour))
        for day, value in known:
            parts.append(
                f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(series)} {day.isoformat()}: {shown(value)}</title></circle>"
            )
    if zero_text and not any(values):
        parts.append(
            f'<text x="{WIDTH / 2}" y="{TOP + 40}" text-anchor="middle" class="note" '
            f'fill="#3d3d3d" font-size="14">{escape(zero_text)}</text>'
        )
    return _svg(name, title, parts)


def _polyline(segment: list[str], colour: str) -> str:
    if len(segment) < 2:
        return ""
    return (
        f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" '
        f'points="{" ".join(segment)}"/>'
    )


def _note(name: str, title: str, text: str) -> SafeString:
    """An empty chart that says why (in a colour that meets 4.5:1 on white)."""
    return _svg(
        name,
        title,
        [
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="note" '
            f'fill="#3d3d3d" font-size="14">{escape(text)}</text>'
        ],
    )
