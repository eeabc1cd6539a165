"""The reliability tests' pause points do nothing unless a test setting names them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service import pausepoints
from service.pausepoints import DONATION_DRAFTED, IMPORT_CHUNK_WRITTEN, pause_point
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def _fresh_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pausepoints, "_arrivals", pausepoints.Counter())


async def test_inert_by_default(tmp_path: Path) -> None:
    settings = make_settings("sqlite+aiosqlite:///unused.db")
    assert settings.test_pause_at == "" and settings.test_pause_signal_file is None
    started = time.monotonic()
    for point in pausepoints.POINTS:
        await pause_point(settings, point)
    assert time.monotonic() - started < 0.5  # a pause sleeps 60 s by default


async def test_only_the_named_point_at_its_arrival_pauses_and_signals(tmp_path: Path) -> None:
    signal = tmp_path / "arrived"
    settings = make_settings("sqlite+aiosqlite:///unused.db", test_pause_at=f"{IMPORT_CHUNK_WRITTEN}:2",
                             test_pause_signal_file=signal, test_pause_seconds=0)
    await pause_point(settings, DONATION_DRAFTED)
    await pause_point(settings, IMPORT_CHUNK_WRITTEN)
    assert not signal.exists()  # the first arrival passes
    await pause_point(settings, IMPORT_CHUNK_WRITTEN)
    assert signal.read_text().isdigit()


def test_an_unknown_point_is_refused() -> None:
    with pytest.raises(ValueError, match="names no pause point"):
        make_settings("sqlite+aiosqlite:///unused.db", test_pause_at="nowhere")
