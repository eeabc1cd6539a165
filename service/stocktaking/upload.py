"""A list of tags or serials from a file: plain text (one a line) or a spreadsheet's CSV (the first column).
Pure code."""

from __future__ import annotations

import csv
import io

from service.imports.reader import detect_delimiter, detect_encoding
from service.stocktaking.scope import clean_term, key_of

# A first line that names the column rather than a device.
_HEADERS = frozenset({"asset_tag", "asset tag", "tag", "serial", "serial_number", "serial number", "assettag"})


def terms_from_file(data: bytes) -> list[str]:
    """The terms in file order; blank lines, a header line and exact repeats within the file left out."""
    text = data.decode(detect_encoding(data[:65536]), errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not lines:
        return []
    delimiter = detect_delimiter(lines[0])
    terms: list[str] = []
    seen: set[str] = set()
    for index, row in enumerate(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)):
        term = clean_term(row[0]) if row else ""
        if not term or (index == 0 and key_of(term) in _HEADERS):
            continue
        if key_of(term) not in seen:
            seen.add(key_of(term))
            terms.append(term)
    return terms
