"""A statement document in its three forms: canonical JSON, CSV and PDF. Pure code: no web, no database.

The JSON is for machines and stays English. The PDF and the CSV are for people and are written in the language of
the moment (service/i18n.py), which the caller sets to the charity's: the CSV's header row is translated (in English
it keeps the snake_case keys spreadsheets and scripts already read), its cells stay as the JSON has them (decimal
points, ISO dates), so a Dutch and an English CSV hold the same values.

Canonical JSON (what the PDF's printed hash covers): UTF-8, keys sorted, no insignificant whitespace, money and
dates as strings, no floats. Anyone can re-serialise the JSON that way and compare the SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from service.charities.rules import AnbiStatus
from service.i18n import N_, format_day, format_money, gettext, ngettext
from service.spreadsheet import guard_text

NO_COUNTER_PERFORMANCE = N_(
    "No goods or services were provided in return for this donation (geen tegenprestatie); "
    "the donor received nothing for it."
)


def _anbi_words(value: str) -> str:
    return AnbiStatus(value).on_statement if value in AnbiStatus.values() else value


def canonical_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


CSV_COLUMNS = (
    N_("statement_number"),
    N_("line"),
    N_("asset_tag"),
    N_("manufacturer"),
    N_("model"),
    N_("category"),
    N_("serial_number"),
    N_("purchase_date"),
    N_("age_months"),
    N_("grade"),
    N_("faults"),
    N_("wipe_certificate_ids"),
    N_("wipe_methods"),
    N_("valuation_id"),
    N_("valuation_method"),
    N_("valuation_policy_version"),
    N_("device_value"),
    N_("amount"),
    N_("currency"),
    # The donor on every row, so a line read on its own still says who gave it (reference/statements.md).
    N_("donor_name"),
    N_("donor_address"),
    N_("donor_kvk_number"),
    N_("donor_rsin"),
    N_("donor_company"),
)


def _cell(value: Any) -> str:
    return "" if value is None else guard_text(str(value))


def csv_bytes(document: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([gettext(column) for column in CSV_COLUMNS])
    number, currency = document["identifier"], document["priceCurrency"]
    agent = document["agent"]
    donor = [_cell(agent.get(k)) for k in ("name", "address", "kvkNumber", "rsin")]
    donor.append(_cell((document.get("donorCompany") or {}).get("name")))
    for line in document["object"]:
        valuation = line.get("valuation") or {}
        certificates = line.get("wipeCertificates") or []
        writer.writerow(
            [
                _cell(number),
                line["line"],
                _cell(line.get("assetTag")),
                _cell(line.get("manufacturer")),
                _cell(line.get("model")),
                _cell(line.get("category")),
                _cell(line.get("serialNumber")),
                line.get("purchaseDate") or "",
                "" if line.get("ageMonths") is None else line["ageMonths"],
                _cell(line.get("grade")),
                _cell("; ".join(line.get("faults") or [])),
                _cell("; ".join(c["id"] for c in certificates)),
                _cell("; ".join(c["method"] for c in certificates)),
                valuation.get("id", ""),
                _cell(valuation.get("method", "")),
                valuation.get("policyVersion", ""),
                valuation.get("value", ""),
                line["price"],
                currency,
                *donor,
            ]
        )
    return out.getvalue().encode("utf-8")


# --- PDF -------------------------------------------------------------------------------------------------------

PAGE_W, PAGE_H = landscape(A4)
MARGIN = 36
ROW_H = 11.5
FONT, BOLD, SIZE = "Helvetica", "Helvetica-Bold", 7.5
# (title, width in points, how to read the cell from a line)
COLUMNS: tuple[tuple[str, float], ...] = (
    ("#", 26),
    (N_("Asset tag"), 66),
    (N_("Model"), 128),
    (N_("Serial number"), 88),
    (N_("Age (mo)"), 38),
    (N_("Grade"), 30),
    (N_("Faults"), 92),
    (N_("Wipe certificate (method)"), 138),
    (N_("Valuation (policy)"), 108),
    (N_("Amount"), 56),
)


def _latin1(text: str) -> str:
    # The PDF's standard fonts cover Western European text (cp1252); anything else prints as '?'.
    return text.encode("cp1252", "replace").decode("cp1252")


def _fit(text: str, width: float, font: str = FONT, size: float = SIZE) -> str:
    text = _latin1(text)
    if stringWidth(text, font, size) <= width - 4:
        return text
    while text and stringWidth(text + "...", font, size) > width - 4:
        text = text[: max(len(text) - max(len(text) // 8, 1), 0)]
    return text + "..."


def _money(amount: str, currency: str) -> str:
    # The PDF's fonts are cp1252: the euro sign prints, a no-break space would not fit every font, so a plain one.
    return format_money(amount, currency).replace("\u00a0", " ")


def _day(iso: str | None) -> str:
    return format_day(date.fromisoformat(iso[:10])) if iso else ""


def _row_cells(line: dict[str, Any], currency: str) -> list[str]:
    valuation = line.get("valuation") or {}
    certs = line.get("wipeCertificates") or []
    model = " ".join(p for p in (line.get("manufacturer"), line.get("model")) if p) or line.get("description", "")
    cert_text = ", ".join(f"{c['id']} ({c['method']})" if c.get("method") else c["id"] for c in certs)
    valuation_text = ""
    if valuation:
        valuation_text = f"{valuation.get('method', '')} v{valuation.get('policyVersion', '')}"
        if valuation.get("overridden"):
            valuation_text += gettext(", override")
    return [
        str(line["line"]),
        line.get("assetTag") or "",
        model,
        line.get("serialNumber") or "",
        "" if line.get("ageMonths") is None else str(line["ageMonths"]),
        line.get("grade") or "",
        ", ".join(line.get("faults") or []),
        cert_text,
        valuation_text,
        _money(line["price"], currency) + (" *" if line.get("split") else ""),
    ]


class _Writer:
    def __init__(self, document: dict[str, Any], json_hash: str) -> None:
        self.doc, self.json_hash = document, json_hash
        self.buffer = io.BytesIO()
        # invariant: no creation time or random id in the file, so the same statement renders to the same bytes.
        self.c = Canvas(self.buffer, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
        self.c.setTitle(gettext("Donation statement {number}").format(number=document["identifier"]))
        self.c.setAuthor(_latin1(document["agent"]["name"] or "Kringloop"))
        self.page = 1
        self.y = 0.0

    def text(self, x: float, y: float, text: str, font: str = FONT, size: float = SIZE) -> None:
        self.c.setFont(font, size)
        self.c.drawString(x, y, _latin1(text))

    def footer(self) -> None:
        c = self.c
        c.setFont(FONT, 7)
        c.drawString(
            MARGIN, MARGIN - 14, gettext("SHA-256 of the canonical JSON statement: {hash}").format(hash=self.json_hash)
        )
        label = gettext("Statement {number} - page {page} of ").format(number=self.doc["identifier"], page=self.page)
        x = PAGE_W - MARGIN - 16 - stringWidth(label, FONT, 7)
        c.drawString(x, MARGIN - 14, label)
        # The page count is known only at the end: every page refers to one form that is filled in last.
        c.saveState()
        c.translate(x + stringWidth(label, FONT, 7), MARGIN - 14)
        c.doForm("page_count")
        c.restoreState()

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN - 10
        self.table_header()

    def table_header(self) -> None:
        x = MARGIN
        self.c.setFont(BOLD, SIZE)
        for title, width in COLUMNS:
            if title == "Amount":
                self.c.drawRightString(x + width - 2, self.y, _latin1(gettext(title)))
            else:
                self.c.drawString(x + 2, self.y, _latin1(gettext(title)))
            x += width
        self.c.line(MARGIN, self.y - 3, PAGE_W - MARGIN, self.y - 3)
        self.y -= ROW_H

    def ensure_room(self) -> None:
        if self.y < MARGIN + 10:
            self.new_page()

    def row(self, cells: list[str]) -> None:
        self.ensure_room()
        x = MARGIN
        c = self.c
        c.setFont(FONT, SIZE)
        for (title, width), cell in zip(COLUMNS, cells, strict=True):
            if title == "Amount":
                c.drawRightString(x + width - 2, self.y, cell)
            else:
                c.drawString(x + 2, self.y, _fit(cell, width))
            x += width
        self.y -= ROW_H

    def paragraph(self, text: str, font: str = FONT, size: float = 8.5) -> None:
        width = PAGE_W - 2 * MARGIN
        words, line = _latin1(text).split(), ""
        for word in words:
            candidate = f"{line} {word}".strip()
            if stringWidth(candidate, font, size) > width and line:
                self.ensure_room()
                self.text(MARGIN, self.y, line, font, size)
                self.y -= size + 3
                line = word
            else:
                line = candidate
        if line:
            self.ensure_room()
            self.text(MARGIN, self.y, line, font, size)
            self.y -= size + 3


def _party(w: _Writer, x: float, y: float, title: str, rows: list[tuple[str, str]]) -> None:
    w.text(x, y, title, BOLD, 10)
    for label, value in rows:
        y -= 12
        w.text(x, y, f"{label}:", BOLD, 8.5)
        w.text(x + 92, y, _fit(value or "-", 260, FONT, 8.5), FONT, 8.5)


def _local_day(approval: dict[str, Any]) -> str:
    """The local date of an approval step (statements issued before "on" was added carry only UTC "at")."""
    return str(approval.get("on") or approval["at"][:10])


def _closing(doc: dict[str, Any], json_hash: str) -> list[tuple[str, str]]:
    people = doc.get("peopleReached") or {}
    currency = doc["priceCurrency"]
    approvals = "; ".join(
        gettext("{step} by {name} on {day}").format(step=a["step"], name=a["by"], day=_day(_local_day(a)))
        for a in doc.get("approvals", [])
    )
    lines = len(doc["object"])
    out = [
        (
            "bold",
            ngettext("Total: {amount} ({n} line)", "Total: {amount} ({n} lines)", lines).format(
                amount=_money(doc["price"], currency), n=lines
            ),
        ),
        ("", gettext("Lines marked * are part of a device's value; the rest of it went to another donation or waits.")),
        (
            "",
            gettext(
                "Each line's value is the residual value accepted for the device, set by the valuation method and "
                "policy version shown (the valuation record is kept with every estimate's breakdown)."
            ),
        ),
        ("bold", gettext(NO_COUNTER_PERFORMANCE)),
        ("", gettext("Approvals: {approvals}").format(approvals=approvals or "-")),
    ]
    if people.get("estimate") is not None:
        out.append(
            (
                "",
                gettext(
                    "People reached (estimate): {people}, at the charity's cost of {cost} per refurbished device."
                ).format(people=people["estimate"], cost=_money(people["costPerRefurbishedDevice"], currency)),
            )
        )
    out.append(("bold", gettext("SHA-256 of the canonical JSON statement: {hash}").format(hash=json_hash)))
    return out


def pdf_bytes(document: dict[str, Any], json_hash: str) -> bytes:
    closing = _closing(document, json_hash)
    w = _Writer(document, json_hash)
    doc, statement = document, document["statement"]
    top = PAGE_H - MARGIN
    w.text(MARGIN, top - 10, gettext("Donation statement (giftverklaring)"), BOLD, 16)
    w.text(
        MARGIN,
        top - 28,
        gettext("Statement {number}, issued {day}").format(number=doc["identifier"], day=_day(statement["issuedOn"])),
        FONT,
        10,
    )
    notes = []
    if statement.get("supersedes"):
        notes.append(
            gettext("This statement corrects and replaces statement {number}.").format(number=statement["supersedes"])
        )
    if statement.get("kind") == "cancellation":
        notes.append(
            gettext("CANCELLED: this donation was cancelled before payment; earlier statements for it are void.")
        )
    if statement.get("reason"):
        notes.append(gettext("Reason: {reason}").format(reason=statement["reason"]))
    y = top - 42
    for note in notes:
        w.text(MARGIN, y, _fit(note, PAGE_W - 2 * MARGIN, BOLD, 9), BOLD, 9)
        y -= 12
    agent, recipient = doc["agent"], doc["recipient"]
    _party(
        w,
        MARGIN,
        y - 14,
        gettext("Donor"),
        [
            (gettext("Name"), agent["name"]),
            (gettext("Address"), agent["address"]),
            (gettext("KvK number"), agent["kvkNumber"]),
            ("RSIN", agent["rsin"]),
            *([(gettext("Company"), doc["donorCompany"]["name"])] if doc.get("donorCompany") else []),
        ],
    )
    _party(
        w,
        PAGE_W / 2,
        y - 14,
        gettext("Recipient"),
        [
            (gettext("Name"), recipient["name"]),
            (gettext("Address"), recipient["address"]),
            (gettext("KvK number"), recipient["kvkNumber"]),
            ("RSIN", recipient["rsin"]),
            (
                gettext("ANBI status"),
                gettext("{status} (checked {day})").format(
                    status=_anbi_words(recipient["anbiStatus"]),
                    day=_day(recipient["anbiCheckedOn"]) or gettext("never"),
                ),
            ),
        ],
    )
    donation = doc["donation"]
    approved_on = doc.get("approvedOn") or doc["startTime"][:10]  # statements before approvedOn: UTC date
    y -= 14 + 6 * 12 + 10
    w.text(
        MARGIN,
        y,
        gettext(
            "Donation {id}: {amount}, approved {day}, made of devices credited from {start} to {end}."
        ).format(
            id=donation["id"],
            amount=_money(doc["price"], doc["priceCurrency"]),
            day=_day(approved_on),
            start=_day(donation["period"]["from"]),
            end=_day(donation["period"]["to"]),
        ),
        BOLD,
        9,
    )
    w.y = y - 24
    w.table_header()
    for line in doc["object"]:
        w.row(_row_cells(line, doc["priceCurrency"]))
    w.y -= 6
    for style, text in closing:
        w.paragraph(text, BOLD if style == "bold" else FONT)
    w.footer()
    w.c.showPage()
    w.c.beginForm("page_count")
    w.c.setFont(FONT, 7)
    w.c.drawString(0, 0, str(w.page))
    w.c.endForm()
    w.c.save()
    return w.buffer.getvalue()
