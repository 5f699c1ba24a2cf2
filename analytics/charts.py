"""Charts as inline SVG, drawn on the server: no JavaScript, nothing loaded from elsewhere.

Each function returns markup safe to put in a template. Every chart is an <svg role="img"> with a
<title> naming it and a `data-chart` attribute; the pages show the same numbers in a table next to
it. Plain Python with no ORM: testable without a database.
"""

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
        if i % every == 0 or i == count - 1:
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


def factor_bars(name: str, title: str, factors: Sequence[dict]) -> SafeString:
    """Horizontal bars of explained risk factors: right (red) pushes risk up, left lowers it."""
    if not factors:
        return _empty(name, title)
    row = 26
    height = TOP + row * len(factors) + 8
    label_width = 220
    middle = label_width + (WIDTH - label_width - RIGHT) / 2
    half = (WIDTH - label_width - RIGHT) / 2 - 40
    biggest = max(abs(float(f.get("weight") or 0)) for f in factors) or 1
    parts = [f'<line class="grid" x1="{middle}" x2="{middle}" y1="{TOP - 4}" y2="{height - 4}"/>']
    for i, factor in enumerate(factors):
        weight = float(factor.get("weight") or 0)
        length = half * abs(weight) / biggest
        top = TOP + row * i
        x = middle if weight >= 0 else middle - length
        colour = "#d9534f" if weight >= 0 else "#5b9b5b"
        label = str(factor.get("factor", "")).replace("_", " ")
        parts.append(
            f'<text class="tick" x="{label_width - 8}" y="{top + 15}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="bar" x="{x:.1f}" y="{top + 4}" width="{max(length, 1):.1f}" height="16" '
            f'fill="{colour}"><title>{escape(label)}: {weight:+.3f}</title></rect>'
            f'<text class="tick" x="{(x + length + 4) if weight >= 0 else (x - 4):.1f}" '
            f'y="{top + 15}" text-anchor="{"start" if weight >= 0 else "end"}">{weight:+.2f}</text>'
        )
    return _svg(name, title, parts, height=height)
