"""Bar charts as SVG markup, drawn on the server: no JavaScript, scales with its box, prints. Pure code.

The SVG is decoration for sighted readers; the page puts the same numbers in a table beside it, and the SVG
carries role="img" with an aria-label that says what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 44
COLOURS = ("#2e7d5b", "#8a6d1d", "#3b5b92")  # contrast >= 4.5:1 on white; distinguished by legend text too


def _nice_max(value: Decimal) -> Decimal:
    """The axis top: 1, 2 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return Decimal(1)
    step = Decimal(1)
    while step * 10 <= value:
        step *= 10
    while step > value * 10:
        step /= 10
    for m in (1, 2, 5, 10):
        if step * m >= value:
            return step * m
    return step * 10  # pragma: no cover


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def bar_chart(
    label: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | int]]],
    *,
    unit: str = "",
    reference: tuple[str, Decimal | int] | None = None,
) -> str:
    """Grouped vertical bars (one colour per series), a zero line, and an optional dashed reference line
    (a baseline). Negative values hang below zero."""
    values = [Decimal(v) for _, vs in series for v in vs]
    if reference is not None:
        values.append(Decimal(reference[1]))
    top = _nice_max(max([v for v in values if v > 0], default=Decimal(0)))
    low = -_nice_max(-min(values)) if values and min(values) < 0 else Decimal(0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = top - low

    def y_of(v: Decimal) -> float:
        return TOP + float((top - v) / span) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" class="chart" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(label)}</title>",
    ]
    for tick in (low, (low + top) / 2, top) if low < 0 else (Decimal(0), top / 2, top):
        y = y_of(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_fmt(tick)}</text>')
    zero = y_of(Decimal(0))
    n = max(len(categories), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.8 / max(len(series), 1), 1.0)
    for i, name in enumerate(categories):
        x0 = LEFT + i * slot + slot * 0.1
        for s, (series_name, vs) in enumerate(series):
            v = Decimal(vs[i])
            y, h = (y_of(v), zero - y_of(v)) if v >= 0 else (zero, y_of(v) - zero)
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 0):.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(name)}, {escape(series_name)}: '
                f"{_fmt(v)} {escape(unit)}</title></rect>"
            )
        if n <= 16 or i % 2 == 0:
            parts.append(
                f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                f'class="tick">{escape(name)}</text>'
            )
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" class="axis"/>')
    if reference is not None:
        y = y_of(Decimal(reference[1]))
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="reference"/>')
        parts.append(
            f'<text x="{WIDTH - RIGHT}" y="{y - 4:.1f}" text-anchor="end" class="tick">{escape(reference[0])}</text>'
        )
    legend_x = LEFT
    for s, (series_name, _) in enumerate(series):
        # The unit once, after the first series, unless the series is named after it ("devices").
        text = series_name + (f" ({unit})" if unit and s == 0 and unit != series_name else "")
        colour = COLOURS[s % len(COLOURS)]
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 16}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{HEIGHT - 7}" class="tick">{escape(text)}</text>')
        legend_x += 14 + 7 * len(text) + 16
    parts.append("</svg>")
    return "".join(parts)
