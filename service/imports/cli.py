"""``kringloop import devices FILE``: a spreadsheet of devices in, a summary and a per-row report out.

Exit codes (API.md): 0 every row was taken, 1 some rows were refused, 2 the file is unusable (nothing written);
3 an unexpected failure (not the file's fault).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import getpass
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

import click
import structlog

from service.i18n import _, ngettext
from service.settings import Settings

# Rows refused are listed on the terminal up to this many; the --report file has every row.
SHOWN_ERRORS = 20
# During the import, a young collection once this many new objects are alive (Python's default is 700), and a
# full one after this many middle-generation ones (Python's default is 10).
YOUNG_COLLECTION_AT = 100_000
FULL_COLLECTION_EVERY = 100


@click.group("import")
def import_group() -> None:
    """Import data from CSV."""


@import_group.command("devices")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--format", "file_format", type=click.Choice(["kringloop", "snipeit"]), default="kringloop", show_default=True,
    help="Kringloop's own columns, or Snipe-IT's asset export (its status labels are mapped).",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Check every row against the file and the database; write nothing.")
@click.option(
    "--date-order", type=click.Choice(["dmy", "mdy"]), default=None,
    help="How to read 03/04/2024 and 03-04-2024 (default: m/d/Y with '/', d-m-Y with '-' or '.').",
)  # fmt: skip
@click.option("--decimal-comma", "decimal_mark", flag_value="comma", help='"1.234" is 1234 and "1,5" is 1.5.')
@click.option("--decimal-point", "decimal_mark", flag_value="point", help='"1,234" is 1234 and "1.5" is 1.5.')
@click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write every row's outcome to this CSV file.")  # fmt: skip
@click.option("--as", "actor_name", default=None, help="Name on the audit trail: cli:NAME (default: your login).")
def import_devices(
    file: str,
    file_format: str,
    dry_run: bool,
    date_order: str | None,
    decimal_mark: str | None,
    report_path: str | None,
    actor_name: str | None,
) -> None:
    """Import devices from a CSV file (FILE '-' reads standard input)."""
    from service.commands import command_settings
    from service.context import Actor
    from service.imports.reader import UnusableFile
    from service.imports.service import ImportOptions

    name = (actor_name or _login_name()).strip()
    if not name or len(name) > 90:
        raise click.BadParameter(_("give a name of 1 to 90 characters"), param_hint="--as")
    settings = command_settings()
    options = ImportOptions(
        format=file_format,  # type: ignore[arg-type]
        dry_run=dry_run,
        date_order=date_order,  # type: ignore[arg-type]
        decimal_mark=decimal_mark,  # type: ignore[arg-type]
    )
    try:
        with click.open_file(file, "rb") as stream:
            total = os.fstat(stream.fileno()).st_size if file != "-" else None
            exit_code = asyncio.run(_run(settings, Actor.cli(name), stream, options, total, report_path, file))
    except UnusableFile as exc:
        click.echo(
            _("{file} is not a device file Kringloop can read: {exc} Nothing was imported.").format(file=file, exc=exc),
            err=True,
        )
        sys.exit(2)
    except Exception:
        # Not the file's fault (the database went away, a bug): exit 3, never 1, which a script reads as "some
        # rows refused". Chunks written before the failure stay; importing the same file again resumes.
        structlog.get_logger("kringloop.imports").exception("import_failed", file=file)
        click.echo(
            _(
                "The import stopped on an unexpected error (logged above). Chunks already written stay; import the "
                "same file again to finish it."
            ),
            err=True,
        )
        sys.exit(3)
    sys.exit(exit_code)


@contextlib.contextmanager
def _atomic_text_file(path: str) -> Iterator[IO[str]]:
    """The report appears complete under its name, or not at all (an interrupted import leaves no half file)."""
    partial = f"{path}.partial"
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid (containers)
        return "import"


async def _run(
    settings: Settings,
    actor: Any,
    stream: IO[bytes],
    options: Any,
    total: int | None,
    report_path: str | None,
    file: str,
) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    from service.db import make_engine, make_sessionmaker
    from service.imports.report import ReportWriter, errors_text, summary_line
    from service.imports.service import RowOutcome, run_import

    shown: list[RowOutcome] = []
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("Importing devices"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    engine = make_engine(settings)
    try:
        with contextlib.ExitStack() as stack:
            writer = None
            if report_path:
                writer = ReportWriter(stack.enter_context(_atomic_text_file(report_path)))

            def on_row(outcome: RowOutcome) -> None:
                if writer is not None:
                    writer.write(outcome)
                if outcome.outcome == "error" and len(shown) < SHOWN_ERRORS:
                    shown.append(outcome)

            # Everything loaded by now lives as long as the command: frozen, the collector stops walking it again
            # and again while the import allocates millions of short-lived objects (about a tenth of the CPU time).
            # With so little left unfrozen, the default thresholds then ran a full collection every 10th middle
            # one, 25 per 100k rows walking every chunk in flight (a tenth of the CPU time again); a tenth as many
            # still collect any cycles a chunk leaves long before they count in the peak RSS. A chunk in flight is
            # some 60,000 live objects, which at the default young threshold were walked about a hundred times a
            # chunk and promoted to be walked again: a tenth of the CPU time once more, to find almost nothing (100k
            # rows left fewer than 7,000 objects in cycles). A young collection per 100,000 objects born and still
            # alive is a few per chunk at most, and bounds what uncollected cycles can hold.
            gc.freeze()
            thresholds = gc.get_threshold()
            gc.set_threshold(YOUNG_COLLECTION_AT, thresholds[1], FULL_COLLECTION_EVERY)
            stack.callback(gc.set_threshold, *thresholds)
            with progress:
                task = progress.add_task("import", total=total)
                summary = await run_import(
                    make_sessionmaker(engine), settings, actor, stream, options, on_row=on_row,
                    on_progress=lambda done: progress.update(task, completed=done),
                )  # fmt: skip
    finally:
        await engine.dispose()
    for outcome in shown:
        click.echo(_("row {row}: {errors}").format(row=outcome.row, errors=errors_text(outcome)), err=True)
    if summary.errors > len(shown):
        more = summary.errors - len(shown)
        hint = f" (all in {report_path})" if report_path else " (use --report FILE to see them all)"
        click.echo(
            ngettext("... and {more} more refused row{hint}", "... and {more} more refused rows{hint}", more).format(
                more=more, hint=hint
            ),
            err=True,
        )
    click.echo(f"{file}: {summary_line(summary)}.")
    if summary.unknown_categories:
        click.echo(
            _("Unknown categories, imported as other: {unknown_categories}").format(
                unknown_categories=", ".join(summary.unknown_categories)
            )
        )
    if summary.unknown_statuses:
        click.echo(
            _("Unknown Snipe-IT statuses, imported as in stock: {unknown_statuses}").format(
                unknown_statuses=", ".join(summary.unknown_statuses)
            )
        )
    if summary.ignored_columns:
        click.echo(_("Columns not read: {ignored_columns}").format(ignored_columns=", ".join(summary.ignored_columns)))
    for line in summary.readings:
        click.echo(line)
    if summary.dry_run:
        click.echo(_("Dry run: nothing was written."))
    if report_path:
        click.echo(f"Report: {report_path}")
    return summary.exit_code
