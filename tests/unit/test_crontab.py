"""Crontab weekdays count from Sunday; APScheduler's from Monday. The jobs must fire on the days a crontab says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from service.jobs.crontab import cron_fields


def _fire_days(crontab: str) -> list[str]:
    """The weekdays the trigger fires on over one week starting on Monday 2026-11-30."""
    trigger = CronTrigger(**cron_fields(crontab), timezone=UTC)
    days, now = [], datetime(2026, 11, 30, tzinfo=UTC) - timedelta(seconds=1)
    end = datetime(2026, 12, 7, tzinfo=UTC)
    while (now := trigger.get_next_fire_time(None, now + timedelta(seconds=1))) and now < end:
        days.append(now.strftime("%a"))
    return days


@pytest.mark.parametrize(
    ("weekday", "days"),
    [
        ("1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0", ["Sun"]),
        ("7", ["Sun"]),
        ("0-2", ["Mon", "Tue", "Sun"]),
        ("5-7", ["Fri", "Sat", "Sun"]),
        ("1,3", ["Mon", "Wed"]),
        ("mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("*", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    ],
)
def test_crontab_weekdays_fire_on_the_days_cron_means(weekday: str, days: list[str]) -> None:
    assert _fire_days(f"0 6 * * {weekday}") == days


def test_a_crontab_has_five_fields() -> None:
    with pytest.raises(ValueError, match="five fields"):
        cron_fields("0 6 * *")
