"""Which period and grouping a report covers. Pure code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.i18n import _

# How rows are grouped (repository.group_column gives each one's column).
GROUP_BYS = ("category", "company", "cost_centre")


class PeriodError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants of local midnights: a retirement at 00:30 on 1 January here is next year's."""
        first = datetime.combine(self.start, time(0), tz).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(0), tz).astimezone(UTC)
        return first, after

    def months(self) -> list[tuple[int, int]]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


@dataclass(frozen=True)
class Window:
    """What the queries need: the period as dates and as UTC instants, the grouping and the programme start."""

    start: date
    end: date
    first: datetime
    after: datetime
    group_by: str
    programme_start: date
    # Only these companies' devices, pools and donations (None: every company); only this cost centre's devices.
    company_ids: tuple[int, ...] | None = None
    cost_centre: str | None = None
    # Every company's name by id, for the company grouping.
    company_names: tuple[tuple[int, str], ...] = ()

    @classmethod
    def of(
        cls,
        period: Period,
        tz: ZoneInfo,
        group_by: str,
        programme_start: date,
        *,
        company_ids: tuple[int, ...] | None = None,
        cost_centre: str | None = None,
        company_names: tuple[tuple[int, str], ...] = (),
    ) -> Window:
        first, after = period.bounds(tz)
        return cls(
            period.start, period.end, first, after, group_by, programme_start, company_ids, cost_centre, company_names
        )


def _parse(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(field, _("{value} is not a date; use YYYY-MM-DD").format(value=repr(text))) from None


def resolve_period(*, year: int | None, quarter: int | None, from_: str | None, to: str | None, today: date) -> Period:
    """A calendar year, a quarter of one, or a custom from/to range (both inclusive); the current year by default."""
    if from_ or to:
        if year is not None or quarter is not None:
            raise PeriodError("from", _("give either from/to or year/quarter, not both"))
        if not (from_ and to):
            raise PeriodError("to" if from_ else "from", _("a custom period needs both from and to"))
        start, end = _parse("from", from_), _parse("to", to)
        if end < start:
            raise PeriodError("to", _("the period ends before it starts"))
        if (end - start).days > 366 * 20:
            raise PeriodError("to", _("a period covers at most {n} years").format(n=20))
        return Period(start, end, f"{start.isoformat()} to {end.isoformat()}")
    if quarter is not None and year is None:
        raise PeriodError("quarter", _("a quarter needs a year"))
    year = today.year if year is None else year
    if not 1990 <= year <= 2100:
        raise PeriodError("year", _("a year between {first} and {last}").format(first=1990, last=2100))
    if quarter is None:
        return Period(date(year, 1, 1), date(year, 12, 31), str(year))
    if not 1 <= quarter <= 4:
        raise PeriodError("quarter", _("a quarter is 1, 2, 3 or 4"))
    start = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(start, after - timedelta(days=1), f"{year} Q{quarter}")


def check_group_by(group_by: str | None) -> str:
    value = group_by or GROUP_BYS[0]
    if value not in GROUP_BYS:
        message = _("unknown grouping {value}; use {choices}").format(value=repr(value), choices=", ".join(GROUP_BYS))
        raise PeriodError("group_by", message)
    return value
