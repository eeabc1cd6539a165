"""``kringloop export devices FILE``: every device in the import format, streamed to a file or to stdout."""

from __future__ import annotations

import asyncio
from typing import IO

import click

from service.i18n import _, ngettext
from service.settings import Settings

# Below this many rows an export takes about a second: a progress bar would only flicker.
PROGRESS_FROM_ROWS = 20_000


@click.group("export")
def export() -> None:
    """Export data as CSV."""


@export.command("devices")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--status", "statuses", multiple=True, help="Only devices in this state, e.g. in_use (repeatable).")
@click.option("--holder-id", type=int, default=None, help="Only the devices this employee holds.")
@click.option("--search", "q", default=None, help="Asset tag, serial, model or holder name contains this.")
def export_devices(file: str, statuses: tuple[str, ...], holder_id: int | None, q: str | None) -> None:
    """Write every device with its current state as CSV (FILE '-' is stdout), in the columns the importer reads."""
    from service.commands import command_settings
    from service.devices.models import STATUSES  # here, not at the top: it would slow every other command

    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise click.BadParameter(
            _("{status}; use one of {statuses}").format(status=repr(unknown[0]), statuses=", ".join(STATUSES)),
            param_hint="--status",
        )
    settings = command_settings()
    filters = {"status": list(statuses) or None, "holder_id": holder_id, "q": q}
    # Atomic: the file appears complete under its name, or not at all if the export fails half way.
    with click.open_file(file, "wb", atomic=file != "-") as out:
        rows = asyncio.run(_write(settings, out, filters))
    where = _("standard output") if file == "-" else file
    click.echo(
        ngettext("Exported {rows} device to {where}.", "Exported {rows} devices to {where}.", rows).format(
            rows=rows, where=where
        ),
        err=file == "-",
    )


async def _write(settings: Settings, out: IO[bytes], filters: dict[str, object]) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from service.db import make_engine
    from service.devices import repository
    from service.imports.export import csv_chunks

    engine = make_engine(settings)
    try:
        total = await repository.count_devices(engine, **filters)
        fields = await repository.export_fields(engine)
        console = Console(stderr=True)
        progress = Progress(
            TextColumn("Exporting devices"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=total < PROGRESS_FROM_ROWS or not console.is_terminal,
        )
        written = 0

        def advance(rows: int) -> None:
            nonlocal written
            written += rows
            progress.update(task, completed=written)

        with progress:
            task = progress.add_task("export", total=total)
            pages = repository.export_pages(engine, custom_fields=fields, **filters)
            async for chunk in csv_chunks(pages, on_rows=advance, custom_fields=fields):
                out.write(chunk)
        out.flush()
        return written
    finally:
        await engine.dispose()
