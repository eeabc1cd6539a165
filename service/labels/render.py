"""Asset labels as a printable PDF: a QR code with the device's URL, the asset tag beside it, model and serial.
Pure code: the caller hands in plain label contents and gets bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from service.labels.sheets import Sheet

# ISO/IEC 18004 asks for a 4-module quiet zone: 2 modules are drawn with the code, the label's padding (at
# least 1.5 mm, several modules at these sizes) gives the rest. Level M survives a scuffed sticker.
_QR_BORDER = 2
_QR_ERROR = "m"
_BOLD, _REGULAR = "Helvetica-Bold", "Helvetica"


@dataclass(frozen=True)
class LabelContent:
    url: str
    title: str  # the asset tag (or, lacking one, the serial number)
    model: str
    serial: str


def _fit(text: str, font: str, size: float, width: float, minimum: float = 5.0) -> tuple[str, float]:
    """The text at the largest size up to ``size`` that fits ``width`` points; cut with an ellipsis below
    ``minimum``."""
    while size > minimum and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, side: float) -> None:
    qr = segno.make(url, error=_QR_ERROR, micro=False)
    rows = list(qr.matrix_iter(border=_QR_BORDER))
    module = side / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        # One rectangle per run of dark modules: fewer path operations, and no hairline seams between modules.
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(x + start * module, y + side - (r + 1) * module, (c - start) * module, module, 0, 1)


def _draw_label(canvas: Canvas, sheet: Sheet, index: int, label: LabelContent) -> None:
    left, bottom = (v * mm for v in sheet.origin(index))
    width, height, pad = sheet.label_width * mm, sheet.label_height * mm, sheet.padding * mm
    side = height - 2 * pad
    _draw_qr(canvas, label.url, left + pad, bottom + pad, side)
    text_x = left + pad + side + pad
    text_width = width - (text_x - left) - pad
    title, title_size = _fit(label.title, _BOLD, 12, text_width)
    lines = [(title, _BOLD, title_size)]
    for text in (label.model, label.serial):
        if text:
            fitted, size = _fit(text, _REGULAR, 7, text_width, minimum=4.5)
            lines.append((fitted, _REGULAR, size))
    y = bottom + height - pad - title_size
    for text, font, size in lines:
        canvas.setFont(font, size)
        canvas.drawString(text_x, y, text)
        y -= size * 1.35


def render_labels(labels: Sequence[LabelContent], sheet: Sheet, *, title: str = "Asset labels") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(sheet.page_width * mm, sheet.page_height * mm), invariant=True)
    canvas.setTitle(title)
    canvas.setCreator("Kringloop")
    for index, label in enumerate(labels):
        if index and index % sheet.per_page == 0:
            canvas.showPage()
        _draw_label(canvas, sheet, index, label)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
