"""``kringloop report impact``: the annual (or quarterly, or custom) impact report as PDF, CSV or JSON."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from service.i18n import format_number, gettext
from service.settings import Settings

# The report's steps (service.build_report calls progress once after each), for the bar's total.
STEPS = ("lifetime", "one for one", "money", "procurement", "fleet", "file")


@click.group("report")
def report_group() -> None:
    """Reports."""


@report_group.command("impact")
@click.option("--year", type=int, default=None, help="Calendar year (default: this year).")
@click.option("--quarter", type=click.IntRange(1, 4), default=None, help="Only this quarter of --year.")
@click.option("--from", "from_", default=None, help="Custom period start, YYYY-MM-DD (with --to).")
@click.option("--to", default=None, help="Custom period end, inclusive, YYYY-MM-DD.")
@click.option("--group-by", default="category", show_default=True, help="How rows are grouped.")
@click.option("--format", "form", type=click.Choice(["pdf", "csv", "json"]), default="pdf", show_default=True)
@click.option(
    "--output", "-o", default=None, help="File to write (default kringloop-impact-PERIOD.FORMAT; - is stdout)."
)
def report_impact(
    year: int | None,
    quarter: int | None,
    from_: str | None,
    to: str | None,
    group_by: str,
    form: str,
    output: str | None,
) -> None:
    """Write the impact report: charts, tables and a methods section with sources (PDF), or every figure with its
    inputs, method, source and versions (CSV, JSON)."""
    from service.commands import command_settings
    from service.errors import DomainError

    settings = command_settings()
    try:
        label, body = asyncio.run(_build(settings, year, quarter, from_, to, group_by, form, output != "-"))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    target = output or f"kringloop-impact-{label.replace(' ', '_')}.{form}"
    with click.open_file(target, "wb", atomic=target != "-") as out:
        out.write(body)
    if target != "-":
        click.echo(
            gettext("Wrote the impact report {period} ({form}, {size} bytes) to {target}.").format(
                period=label, form=form.upper(), size=format_number(len(body)), target=target
            )
        )


async def _build(
    settings: Settings,
    year: int | None,
    quarter: int | None,
    from_: str | None,
    to: str | None,
    group_by: str,
    form: str,
    show_progress: bool,
) -> tuple[str, bytes]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from service.db import make_engine, make_sessionmaker, session_scope, utcnow
    from service.impact import render, service

    period, grouping = service.period_of(
        year=year,
        quarter=quarter,
        from_=from_,
        to=to,
        group_by=group_by,
        today=utcnow().astimezone(settings.tz).date(),
    )
    progress = Progress(
        TextColumn("Impact report {task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=False,
    )
    engine = make_engine(settings)
    try:
        with progress:
            task = progress.add_task(period.label, total=len(STEPS))

            def step(name: str) -> None:
                progress.update(task, advance=1, description=f"{period.label}: {name}")

            async with session_scope(make_sessionmaker(engine)) as session:
                report: dict[str, Any] = await service.build_report(session, settings, period, grouping, step)
            body = {"pdf": render.pdf_bytes, "csv": render.csv_bytes, "json": render.json_bytes}[form](report)
            step("file")
    finally:
        await engine.dispose()
    return period.label, body
