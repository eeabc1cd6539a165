"""Languages: who reads which one, how amounts and dates look in it, and that the Dutch catalogue is complete."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from service import i18n
from service.i18n import (
    LOCALE_DIR,
    accepted_languages,
    choose_locale,
    format_day,
    format_moment,
    format_money,
    format_number,
    gettext,
    use_locale,
)

ROOT = Path(__file__).resolve().parents[2]
NBSP = "\u00a0"


def test_the_users_setting_beats_the_browser_and_the_browser_beats_the_organisation() -> None:
    assert choose_locale("en", "nl-NL,nl;q=0.9", "nl") == "en"
    assert choose_locale(None, "nl-NL,nl;q=0.9,en;q=0.8", "en") == "nl"
    assert choose_locale(None, "de-DE,de;q=0.9", "nl") == "nl"  # a language we do not speak: the organisation's
    assert choose_locale(None, None, "en") == "en"
    assert choose_locale("fr", "", "en") == "en"  # an unknown stored setting is ignored, not trusted


def test_accept_language_is_read_by_quality_not_by_position() -> None:
    assert accepted_languages("en;q=0.3, nl-BE;q=0.9, de") == ["de", "nl-BE", "en"]
    assert accepted_languages("nl;q=0, en") == ["en"]  # q=0 means "not this one"
    assert choose_locale(None, "fr, en;q=0.5, nl;q=0.8", "en") == "nl"
    assert choose_locale(None, "nl;q=0, en;q=0.1", "nl") == "en"


def test_money_in_dutch_and_english() -> None:
    # Dutch puts a (no-break) space after the euro sign and swaps the separators.
    assert format_money(123456, "EUR", "nl") == f"€{NBSP}1.234,56"
    assert format_money(123456, "EUR", "nl").replace(NBSP, " ") == "€ 1.234,56"
    assert format_money(123456, "EUR", "en") == "€1,234.56"
    assert format_money("1234.56", "EUR", "nl") == f"€{NBSP}1.234,56"  # a decimal string from an API schema
    assert format_money(-5, "EUR", "en") == "-€0.05"
    assert format_money(Decimal("0.10"), "EUR", "nl") == f"€{NBSP}0,10"


def test_numbers_and_dates_in_dutch_and_english() -> None:
    assert format_number(1234, "nl") == "1.234"
    assert format_number(1234, "en") == "1,234"
    assert format_day(date(2026, 12, 2), "nl") == "2 december 2026"
    assert format_day(date(2026, 12, 2), "en") == "2 December 2026"


def test_moments_are_shown_on_the_amsterdam_clock() -> None:
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Amsterdam (UTC+1)
    assert format_moment(late, ZoneInfo("Europe/Amsterdam"), "nl") == "2 dec 2026 00:30"
    assert format_moment(late, ZoneInfo("Europe/Amsterdam"), "en") == "2 Dec 2026 00:30"


def test_the_locale_of_the_moment_decides_what_gettext_returns() -> None:
    with use_locale("nl"):
        assert gettext("Devices") == "Apparaten"
        assert i18n.current_locale() == "nl"
        with use_locale("en"):
            assert gettext("Devices") == "Devices"
        assert format_money(100) == f"€{NBSP}1,00"
    assert i18n.current_locale() == i18n.default_locale()


def test_without_compiled_catalogues_the_text_is_english_and_a_warning_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        with use_locale("nl"), caplog.at_level("WARNING", logger="kringloop.i18n"):
            assert gettext("Devices") == "Devices"
        assert "make i18n-compile" in caplog.text
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()


def _extracted_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "service"), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _dutch_catalogue():  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="nl")


def test_every_text_in_the_code_and_templates_is_in_the_dutch_catalogue() -> None:
    catalogue = _dutch_catalogue()
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    missing = sorted(_extracted_msgids() - known)
    assert not missing, "not in service/locale/nl (run `make i18n-update` and translate):\n" + "\n".join(missing)


def test_no_dutch_entry_is_empty_or_fuzzy() -> None:
    catalogue = _dutch_catalogue()
    empty = [m.id for m in catalogue if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not empty, f"untranslated Dutch entries: {empty}"
    assert not fuzzy, f"fuzzy Dutch entries (check and clear the flag): {fuzzy}"


def test_the_catalogue_keeps_placeholders_intact() -> None:
    # A translation that drops or renames %(name)s or {name} would fail at run time on that page only.
    import re

    placeholder = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
    wrong = []
    for m in _dutch_catalogue():
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        if any(set(placeholder.findall(i)) != set(placeholder.findall(s)) for i, s in zip(ids, strings, strict=False)):
            wrong.append(m.id)
    assert not wrong, f"placeholders differ: {wrong}"


def test_every_trans_block_of_the_templates_is_found_in_dutch() -> None:
    # Extraction and look-up can disagree (a literal % in a {% trans %} block is looked up as %%), and then a page
    # stays English although the catalogue is complete: render each block in both languages and compare.
    import re

    from jinja2 import Environment

    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_callables(gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    untranslated = []
    for path in sorted((ROOT / "service" / "templates").rglob("*.html")):
        for block in re.findall(r"\{% trans.*?%\}.*?\{% endtrans %\}", path.read_text(), re.S):
            names = re.findall(r"\{\{ (\w+) \}\}", block)
            opening = "{% trans trimmed " + ", ".join(f'{n}="X"' for n in names) + " %}"
            template = env.from_string(re.sub(r"\{% trans[^%]*%\}", opening, block, count=1))
            with use_locale("en"):
                english = template.render()
            with use_locale("nl"):
                if template.render() == english:
                    untranslated.append(f"{path.name}: {english[:60]}")
    assert not untranslated, untranslated


# Words a page may show untranslated: names, units, standards and codes that read the same in Dutch.
UNTRANSLATED_WORDS = {
    "Kringloop", "Snipe-IT", "PDF", "CSV", "JSON", "XML", "API", "OK", "ID", "nwipe", "Blancco", "RSIN", "KvK",
    "SHA-256", "EPEAT", "TCO", "kg", "ms", "crontab", "CO2e", "Q",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\u2019-]*[A-Za-z0-9]|[A-Za-z]{2,}")
# Attributes a macro writes out as text, to go inside a tag: aria-invalid="true", selected.
_ATTRIBUTE_TEXT = re.compile(r'[\w-]+="[^"]*"')
_BARE_ATTRIBUTES = re.compile(r"\s*(?:(?:selected|checked|disabled)\s*)*")
_SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label", "aria-description"}


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(_ATTRIBUTE_TEXT.sub(" ", text)) if w not in UNTRANSLATED_WORDS]


class _VisibleText(HTMLParser):
    """Text nodes and shown attributes of a template with its Jinja parts taken out; <code> is left alone."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._code += tag in ("code", "kbd", "samp", "script", "style")
        self.found += [f"{k}={v!r}" for k, v in attrs if k in _SHOWN_ATTRIBUTES and v and _words(v)]

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag in ("code", "kbd", "samp", "script", "style") and self._code > 0

    def handle_data(self, data: str) -> None:
        if not self._code and _words(data) and not _BARE_ATTRIBUTES.fullmatch(_ATTRIBUTE_TEXT.sub(" ", data)):
            self.found.append(" ".join(data.split()))


def _unwrapped_literals(source: str) -> list[str]:
    """String literals a {{ }} prints that are not inside _(), gettext() or ngettext(): sentences, a literal
    printed alone (``{{ "Show" }}``), or the branches of an inline if or an or (``"required" if f.required``).
    A {{ }} inside a tag (a class, an id) is markup, unless it is an attribute a person reads (a title, an
    aria-label). A {% set %}, {% for %}, {% with %} or {% call %} names texts it hands on to be printed
    (``("category", "Category")``): a capitalised literal there is text too."""
    from jinja2 import Environment

    env = Environment(extensions=["jinja2.ext.i18n"])
    found = []
    for match in re.finditer(r"\{\{.*?\}\}|\{%-?\s*(?:set|for|with|call)\b.*?%\}", source, re.S):
        before = source[: match.start()]
        attribute = re.search(r"([\w-]+)=\"[^\"]*$", before)
        if before.rfind("<") > before.rfind(">") and not (attribute and attribute.group(1) in _SHOWN_ATTRIBUTES):
            continue
        statement = match.group(0).startswith("{%")
        line = before.count("\n") + 1
        tokens = [t for t in env.lex(match.group(0)) if t[1] != "whitespace"]
        calls: list[str] = []
        for i, (_line, kind, value) in enumerate(tokens):
            if kind == "operator" and value in "([{":
                calls.append(tokens[i - 1][2] if tokens[i - 1][1] == "name" else "")
            elif kind == "operator" and value in ")]}" and calls:
                calls.pop()
            elif kind == "string" and not (calls and calls[-1] in ("_", "gettext", "ngettext")):
                text, previous, after = value.strip("'\""), tokens[i - 1], tokens[i + 1]
                if statement:
                    shown = re.match(r"[A-Z][a-z]", text) is not None
                else:
                    alone = previous[1] == "variable_begin" and (after[1] == "variable_end" or after[2] == "|")
                    branch = previous[2] in ("else", "or") or after[2] == "if"
                    shown = alone or branch or re.search(r"[A-Za-z]{2,}\s+[A-Za-z]", text) is not None
                if _words(text) and shown:
                    found.append(f"line {line}: {value}")
    return found


def untranslated_template_text(source: str) -> list[str]:
    stripped = source
    for pattern in (r"\{% trans.*?%\}.*?\{% endtrans %\}", r"\{#.*?#\}", r"\{\{.*?\}\}", r"\{%.*?%\}", r"<!--.*?-->"):
        stripped = re.sub(pattern, " ", stripped, flags=re.S)
    parser = _VisibleText()
    parser.feed(stripped)
    return parser.found + _unwrapped_literals(source)


def test_every_template_text_a_person_reads_goes_through_gettext() -> None:
    found = {}
    for path in sorted((ROOT / "service" / "templates").rglob("*.html")):
        if hits := untranslated_template_text(path.read_text()):
            found[str(path.relative_to(ROOT))] = hits
    assert not found, "wrap these in {{ _() }} or {% trans %} (or add a name to UNTRANSLATED_WORDS):\n" + "\n".join(
        f"{name}: {hits}" for name, hits in found.items()
    )


def test_the_template_check_finds_plain_text_and_leaves_wrapped_text_alone() -> None:
    assert untranslated_template_text("<h1>Devices</h1>") == ["Devices"]
    assert untranslated_template_text('<a title="Open it" href="/x">{{ _("Open") }}</a>') == ["title='Open it'"]
    assert untranslated_template_text('{{ "every device" if x else y }}') == ['line 1: "every device"']
    assert untranslated_template_text('<td>{{ "required" if f.required }}</td>') == ['line 1: "required"']
    assert untranslated_template_text('<p>{{ "Show" | upper }}</p>{{ x or "nothing" }}') == [
        'line 1: "Show"', 'line 1: "nothing"'
    ]
    assert untranslated_template_text(
        '{% for k, label in [("cost_centre", "Cost centre")] %}{{ label }}{% endfor %}{% set cls = "btn wide" %}'
    ) == ['line 1: "Cost centre"']
    wrapped = (
        '<h1>{{ _("Devices") }}</h1><p>{% trans %}Hello {{ name }}{% endtrans %}</p><code>kringloop serve</code>'
        '<td>{{ ngettext("one fault", "%(num)s faults", n) }} 5 kg · PDF</td>{{ x | join(", ") }}'
        '{% for k, label in [("category", _("Category"))] %}{{ label }}{% endfor %}<a class="{{ "on" if a }}">'
    )
    assert untranslated_template_text(wrapped) == []
