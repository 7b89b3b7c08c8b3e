"""Server-rendered SVG charts for the session report.

No JavaScript and no inline ``style`` attributes (the CSP forbids both): colours are SVG
presentation attributes, which the report's CSS may override (dark mode, print). Every chart is
an ``<svg role="img">`` named by its own ``<title>`` and ``<desc>``; the report shows the same
numbers in a table next to it, so nothing is conveyed by the picture alone.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Light-mode fills with at least 3:1 contrast on white (WCAG 1.4.11); app.css sets lighter
# fills for dark mode through the tone classes.
TONE_FILLS = {
    "default": "#1f5f9e",
    "platform": "#0b5394",
    "model": "#7a3e00",
    "legal_organising": "#2f5d3a",
    "room": "#1f5f9e",
    "remote": "#5b2a86",
}

ROW_HEIGHT = 28
BAR_HEIGHT = 18
PADDING = 6
VALUE_WIDTH = 96
CHAR_WIDTH = 7.5  # average advance of the 14 px system font, to shorten long labels


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length (``value``), the text printed after it and its tone."""

    label: str
    value: float
    display: str = ""
    tone: str = "default"

    @property
    def text(self) -> str:
        return self.display or _number(self.value)


@dataclass(frozen=True)
class Chart:
    """A rendered chart with what the template needs for its caption and text alternative."""

    chart_id: str
    title: str
    description: str
    bars: Sequence[Bar]
    svg: SafeString


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _shorten(label: str, max_chars: int) -> str:
    label = " ".join(label.split())
    return label if len(label) <= max_chars else label[: max_chars - 1].rstrip() + "…"


def horizontal_bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    max_value: float | None = None,
    width: int = 640,
    label_width: int = 240,
) -> Chart:
    """A horizontal bar chart as SVG markup.

    ``chart_id`` must be unique in the page: the ``<title>`` and ``<desc>`` ids derive from it
    and name the image through ``aria-labelledby``. Bars are scaled to ``max_value`` (default:
    the largest value; a chart of zeros draws no bars). Labels longer than the label column are
    shortened with an ellipsis: the full text belongs in the table the report shows beside the
    chart. Text is drawn in ``currentColor`` so it follows the page's colour mode.
    """
    scale_max = max_value if max_value is not None else max((bar.value for bar in bars), default=0)
    plot_width = width - label_width - VALUE_WIDTH
    height = max(1, len(bars)) * ROW_HEIGHT + 2 * PADDING
    max_chars = max(4, int((label_width - 2 * PADDING) / CHAR_WIDTH))

    rows = []
    for index, bar in enumerate(bars):
        top = PADDING + index * ROW_HEIGHT
        baseline = top + ROW_HEIGHT // 2 + 5
        length = 0.0
        if scale_max > 0 and bar.value > 0:
            # A non-zero value always shows, however small next to the largest.
            length = max(2.0, plot_width * min(bar.value, scale_max) / scale_max)
        tone = bar.tone if bar.tone in TONE_FILLS else "default"
        rows.append(
            format_html(
                '<g class="chart-row">'
                '<text x="{}" y="{}" text-anchor="end" fill="currentColor">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar chart-tone-{}" fill="{}"></rect>'
                '<text x="{}" y="{}" fill="currentColor" class="chart-value">{}</text>'
                "</g>",
                label_width - PADDING,
                baseline,
                _shorten(bar.label, max_chars),
                label_width,
                top + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                f"{length:.1f}",
                BAR_HEIGHT,
                tone,
                TONE_FILLS[tone],
                f"{label_width + length + PADDING:.1f}",
                baseline,
                bar.text,
            )
        )
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        'width="{width}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif" font-size="14">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
        '<line x1="{axis}" y1="0" x2="{axis}" y2="{height}" stroke="currentColor" stroke-width="1"></line>'
        "{rows}</svg>",
        width=width,
        height=height,
        id=chart_id,
        title=title,
        description=description,
        axis=label_width,
        # Each row went through format_html, so joining them keeps them escaped.
        rows=mark_safe("".join(rows)),  # nosec B308 B703
    )
    return Chart(chart_id=chart_id, title=title, description=description, bars=bars, svg=svg)
