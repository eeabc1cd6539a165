"""Pure rules of stock-taking (scope, outcomes, lists, loss reports) and label geometry."""

from __future__ import annotations

import pytest

from service.labels.render import _fit
from service.labels.sheets import SHEETS
from service.stocktaking.scope import LOSABLE, AuditScope, outcome_of, why_not_lost
from service.stocktaking.upload import terms_from_file


def test_location_scope_ignores_case_and_spacing() -> None:
    scope = AuditScope("location", "Depot Noord")
    assert scope.holds(" depot NOORD ")
    assert not scope.holds("Depot  Noord")  # as the database compares: spaces inside a name count
    assert not scope.holds("Depot Zuid")
    assert outcome_of(scope, "DEPOT noord") == "found"
    assert outcome_of(scope, "") == "misplaced"
    assert outcome_of(scope, None) == "unknown"


def test_only_devices_in_service_can_be_reported_lost() -> None:
    assert LOSABLE == ("in_stock", "in_use", "in_repair")
    for status in LOSABLE:
        assert why_not_lost(status) is None
    assert why_not_lost("retired") == "A device that is retired cannot be reported lost (moves allowed now: wipe)."
    assert why_not_lost("lost") == "A device that is lost cannot be reported lost (moves allowed now: none)."


@pytest.mark.parametrize(
    ("data", "terms"),
    [
        (b"KL-1\nKL-2\n", ["KL-1", "KL-2"]),
        (b"\xef\xbb\xbfasset_tag,notes\r\nKL-1,shelf 1\r\n\r\n  KL-2 ,x\r\n", ["KL-1", "KL-2"]),
        (b"Serial number;Model\nPF123;T14\nPF123;T14\npf123;T14\n", ["PF123"]),
        (b"KL-\xe9\r\n", ["KL-é"]),  # Windows-1252, as an old spreadsheet saves it
        (b"\n \n", []),
        (b"tag-1\n", ["tag-1"]),  # a header only counts on the first line and only by name
    ],
)
def test_list_upload_reads_one_term_per_line(data: bytes, terms: list[str]) -> None:
    assert terms_from_file(data) == terms


def test_a4_sheet_is_avery_3474_geometry() -> None:
    sheet = SHEETS["a4-3x8"]
    assert sheet.per_page == 24
    # Label 0 top left, label 2 top right, label 23 bottom right; origins are bottom-left corners in mm.
    assert sheet.origin(0) == (0.0, 297.0 - 0.5 - 37.0)
    assert sheet.origin(2) == (140.0, 297.0 - 0.5 - 37.0)
    assert sheet.origin(23) == (140.0, 0.5)
    assert sheet.origin(24) == sheet.origin(0)
    roll = SHEETS["roll-62"]
    assert (roll.per_page, roll.origin(5)) == (1, (0.0, 0.0))


def test_long_text_shrinks_then_is_cut() -> None:
    assert _fit("KL-1", "Helvetica-Bold", 12, 100) == ("KL-1", 12)
    text, size = _fit("X" * 80, "Helvetica", 7, 80, minimum=4.5)
    assert size == 4.5
    assert text.endswith("…") and len(text) < 80
