"""Five-field crontab text as APScheduler 3 cron-trigger arguments. Pure code.

APScheduler counts weekdays from Monday = 0, crontab from Sunday = 0 (and 7): "1-5" read as APScheduler reads it
would run Tuesday to Saturday (its own ``CronTrigger.from_crontab`` warns of this). Weekday numbers become names
here, which both read alike.
"""

from __future__ import annotations

import re
from typing import Any

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBERS = re.compile(r"([0-7])(?:-([0-7]))?")


def _weekdays(field: str) -> str:
    names: list[str] = []
    for part in field.split(","):
        match = _NUMBERS.fullmatch(part)
        if match is None:  # *, names, or a step: the same in both
            names.append(part)
            continue
        first, last = int(match[1]), int(match[2] or match[1])
        if first == 0 and last > 0:  # "0-3": Sunday, then Monday to Wednesday (APScheduler ranges stop at Sunday)
            names.append("sun")
            first = 1
        names.append(_DAYS[first] if first == last else f"{_DAYS[first]}-{_DAYS[last]}")
    return ",".join(names)


def cron_fields(crontab: str) -> dict[str, Any]:
    """APScheduler cron-trigger keyword arguments; ValueError unless there are five fields."""
    fields = crontab.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab has five fields (minute hour day month weekday), this has {len(fields)}")
    minute, hour, day, month, day_of_week = fields
    return {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": _weekdays(day_of_week)}
