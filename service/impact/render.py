"""The impact report as files: JSON (canonical), CSV (one line per figure) and PDF (charts, tables, methods).
Pure code: a report document (service.build_report) in, bytes out."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from service.i18n import N_, format_day, format_money, format_number, gettext
from service.impact import labels
from service.spreadsheet import guard_text
from service.statements.render import canonical_json

# The header row is read by a person and translated (as a statement's is); the cells keep the JSON's machine
# values (section and figure keys, decimal points), so a spreadsheet formula or a script reads any language.
CSV_COLUMNS = (N_("section"), N_("group"), N_("figure"), N_("value"), N_("unit"), N_("method"),
               N_("method_version"), N_("factor_version"), N_("source"), N_("inputs"), N_("note"))  # fmt: skip
SECTIONS = ("lifetime_extension", "one_for_one", "second_life", "procurement")
FONT, BOLD = "Helvetica", "Helvetica-Bold"
PAGE_W, PAGE_H = A4
MARGIN = 40
COLOURS = ((0.18, 0.49, 0.36), (0.54, 0.43, 0.11), (0.23, 0.36, 0.57))


def json_bytes(report: dict[str, Any]) -> bytes:
    return canonical_json(report)


def figure_lines(report: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(section, group, figure name, figure) for every figure in the report, in a stable order."""
    out = [("totals", "all", name, f) for name, f in report["totals"].items()]
    for section in SECTIONS:
        for row in report[section]["rows"]:
            out.extend((section, row["group"], name, f) for name, f in row["figures"].items())
    money = report["money"]
    out.extend(("money", "pool", name, f) for name, f in money["pool"]["figures"].items())
    for row in money["charities"]:
        out.extend(("money", row["group"], name, f) for name, f in row["figures"].items())
    return out


def csv_bytes(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([gettext(column) for column in CSV_COLUMNS])
    for section, group, name, f in figure_lines(report):
        writer.writerow([
            section, guard_text(group), name, "" if f["value"] is None else f["value"], f["unit"], f["method"],
            f["method_version"], f["factor_version"], f["source"],
            json.dumps(f["inputs"], sort_keys=True, ensure_ascii=False), f["note"],
        ])  # fmt: skip
    return out.getvalue().encode("utf-8")


def _latin1(text: str) -> str:
    # The standard PDF fonts are Latin-1; CO2e and euro signs are spelled out before this.
    return text.replace("\u2265", ">=").encode("latin-1", "replace").decode("latin-1")


class _Pdf:
    def __init__(self, title: str, compress: bool) -> None:
        self.buffer = io.BytesIO()
        self.c = Canvas(self.buffer, pagesize=A4, invariant=1, pageCompression=1 if compress else 0)
        self.c.setTitle(title)
        self.y = PAGE_H - MARGIN
        self.page = 1

    def room(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.c.setFont(FONT, 7)
            self.c.drawString(MARGIN, MARGIN - 20, _footer(self.page))
            self.c.showPage()
            self.page += 1
            self.y = PAGE_H - MARGIN

    def line(self, text: str, font: str = FONT, size: float = 9, indent: float = 0) -> None:
        width = PAGE_W - 2 * MARGIN - indent
        words, current = _latin1(text).split(), ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if stringWidth(candidate, font, size) > width and current:
                self._emit(current, font, size, indent)
                current = word
            else:
                current = candidate
        self._emit(current, font, size, indent)

    def _emit(self, text: str, font: str, size: float, indent: float) -> None:
        self.room(size + 4)
        self.c.setFont(font, size)
        self.c.drawString(MARGIN + indent, self.y - size, text)
        self.y -= size + 4

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        for cells, font in [(header, BOLD), *((r, FONT) for r in rows)]:
            self.room(12)
            x = MARGIN
            self.c.setFont(font, 8)
            for cell, width in zip(cells, widths, strict=True):
                text = _latin1(cell)
                while text and stringWidth(text, font, 8) > width - 4:
                    text = text[:-1]
                self.c.drawString(x, self.y - 8, text)
                x += width
            self.y -= 12
        self.y -= 6

    def chart(self, chart: dict[str, Any]) -> None:
        """The same bars as the page's SVG, drawn with the canvas (labels below, values in the table after)."""
        height, width = 120.0, PAGE_W - 2 * MARGIN - 40
        self.room(height + 40)
        self.line(f"{chart['title']} ({chart['unit']})", BOLD, 10)
        values = [Decimal(v) for s in chart["series"] for v in s["values"]]
        if chart.get("reference"):
            values.append(Decimal(chart["reference"]["value"]))
        top = max([v for v in values if v > 0], default=Decimal(1)) or Decimal(1)
        low = min([v for v in values if v < 0], default=Decimal(0))
        span = top - low
        base_y = self.y - height
        zero = base_y + float(-low / span) * height
        x0 = MARGIN + 40
        n, k = max(len(chart["labels"]), 1), max(len(chart["series"]), 1)
        slot = width / n
        bar = slot * 0.8 / k
        c = self.c
        c.setFont(FONT, 6)
        c.drawRightString(x0 - 4, base_y + height - 6, format_number(top.normalize()))
        c.drawRightString(x0 - 4, zero - 2, "0")
        if low < 0:
            c.drawRightString(x0 - 4, base_y, format_number(low.normalize()))
        for s, series in enumerate(chart["series"]):
            c.setFillColorRGB(*COLOURS[s % len(COLOURS)])
            for i, v in enumerate(series["values"]):
                h = float(Decimal(v) / span) * height
                x = x0 + i * slot + slot * 0.1 + s * bar
                c.rect(x, zero if h >= 0 else zero + h, bar, abs(h), stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        c.line(x0, zero, x0 + width, zero)
        if chart.get("reference"):
            ref = zero + float(Decimal(chart["reference"]["value"]) / span) * height
            c.setDash(3, 2)
            c.line(x0, ref, x0 + width, ref)
            c.setDash()
            c.drawRightString(x0 + width, ref + 2, _latin1(chart["reference"]["label"]))
        step = 1 if n <= 16 else 2
        for i, label in enumerate(chart["labels"]):
            if i % step == 0:
                c.drawCentredString(x0 + i * slot + slot / 2, base_y - 8, _latin1(label))
        legend = ", ".join(f"{s['name']}" for s in chart["series"])
        self.y = base_y - 12
        self.line(
            gettext("Series: {series}. Method: {method}. Source: {source}").format(
                series=legend, method=chart["method"], source=chart["source"]
            ),
            FONT,
            7,
        )


def _footer(page: int) -> str:
    return gettext("Kringloop impact report - page {page}").format(page=page)


def _number(value: str | None) -> str:
    return gettext("n/a") if value is None else format_number(value)


def _money(value: str | None, currency: str) -> str:
    # The standard PDF fonts are Latin-1: no euro sign, so the currency's code.
    return gettext("n/a") if value is None else format_money(value, currency, code=True)


def _day(iso: str) -> str:
    return format_day(date.fromisoformat(iso), short=True)


def _value(f: dict[str, Any], currency: str) -> str:
    if f["value"] is None:
        return gettext("n/a")
    if f["unit"] == "currency":
        return _money(f["value"], currency)
    return f"{format_number(f['value'])} {labels.text(f['unit'])}".strip()


def pdf_bytes(report: dict[str, Any], *, compress: bool = True) -> bytes:
    """The report for people, in the language of the moment (the caller's request sets it)."""
    period, factors, currency = report["period"], report["factors"], report["currency"]
    p = _Pdf(gettext("Kringloop impact report {period}").format(period=period["label"]), compress)
    p.line(gettext("Impact report {period}").format(period=period["label"]), BOLD, 16)
    first, last = (format_day(date.fromisoformat(period[k])) for k in ("from", "to"))
    intro = (
        gettext(
            "Period {first} to {last}, grouped by {group_by}. Method version {method_version}, impact factors "
            "{factors}."
        )
        if factors["saved"]
        else gettext(
            "Period {first} to {last}, grouped by {group_by}. Method version {method_version}, impact factors "
            "{factors} (built-in defaults)."
        )
    )
    p.line(intro.format(first=first, last=last, group_by=labels.group_name(report["group_by"]),
                        method_version=report["method_version"], factors=factors["label"]))  # fmt: skip
    p.y -= 6
    p.line(gettext("Totals"), BOLD, 12)
    p.table([gettext("Figure"), gettext("Value"), gettext("Method"), gettext("Source")],
            [[labels.figure_name(n), _value(f, currency), f["method"], labels.source(f["source"])]
             for n, f in report["totals"].items()],
            [130, 90, 130, 165])  # fmt: skip
    for chart in report["charts"].values():
        chart = labels.shown_chart(chart)
        p.chart(chart)
        header = ["", *[s["name"] for s in chart["series"]]]
        rows = [[label, *[format_number(s["values"][i]) for s in chart["series"]]]
                for i, label in enumerate(chart["labels"])]  # fmt: skip
        p.table(header, rows, [120] + [90] * len(chart["series"]))
    for section in SECTIONS:
        rows = report[section]["rows"]
        p.line(labels.section_title(section), BOLD, 12)
        if not rows:
            p.line(gettext("Nothing in this period."))
            continue
        for row in rows:
            flags = "; ".join(labels.text(flag) for flag in row["flags"])
            p.line(f"{row['group']}" + (f" - {flags}" if flags else ""), BOLD, 9)
            p.table([gettext("Figure"), gettext("Value"), gettext("Inputs"), gettext("Note")],
                    [[labels.figure_name(n), _value(f, currency), json.dumps(f["inputs"], sort_keys=True)[:70],
                      labels.text(f["note"])]
                     for n, f in row["figures"].items() if f["value"] not in (None, "0", "0.0") or f["note"]],
                    [150, 80, 190, 95])  # fmt: skip
    uncovered = report["one_for_one"]
    if uncovered["uncovered"]:
        p.line(gettext("Devices owing a compensation without a partner reference ({n})").format(
            n=format_number(uncovered["uncovered_count"])), BOLD, 10)  # fmt: skip
        p.table([gettext("Device"), gettext("Bought"), gettext("Category"), gettext("Model"), gettext("Obligation")],
                [[u["asset_tag"] or f"#{u['device_id']}", _day(u["purchase_date"]), u["category"], u["model"],
                  labels.obligation(u["obligation"])] for u in uncovered["uncovered"]],
                [80, 70, 70, 200, 95])  # fmt: skip
    money = report["money"]
    p.line(labels.section_title("money_and_people"), BOLD, 12)
    pooled = _money(money["pool"]["figures"]["pooled"]["value"], currency)
    p.line(gettext("Residual value pooled: {amount}").format(amount=pooled))
    p.table([gettext("Charity"), gettext("Donated"), gettext("Paid"), gettext("People reached")],
            [[r["group"], _money(r["figures"]["donated"]["value"], currency),
              _money(r["figures"]["paid"]["value"], currency),
              _number(r["figures"]["people_reached"]["value"] or None)] for r in money["charities"]],
            [200, 100, 100, 115])  # fmt: skip
    p.line(gettext("Methods and sources"), BOLD, 12)
    for method in report["methods"]:
        p.line(labels.section_title(method["name"]), BOLD, 9)
        p.line(labels.text(method["text"]), indent=8)
        p.line(gettext("Source: {source}").format(source=labels.source(method["source"])), indent=8)
    p.line(gettext("Factors used"), BOLD, 9)
    for name, value in factors["values"].items():
        p.line(f"{name}: {json.dumps(value, sort_keys=True)}", indent=8)
    p.c.setFont(FONT, 7)
    p.c.drawString(MARGIN, MARGIN - 20, _footer(p.page))
    p.c.showPage()
    p.c.save()
    return p.buffer.getvalue()
