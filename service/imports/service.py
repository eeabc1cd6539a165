"""Importing devices from a spreadsheet: Kringloop's own columns or Snipe-IT's asset export (issue 7).

The file streams through in chunks; each chunk is read (reader.py, rows.py), decided (plan.py) and written
(writer.py) in a transaction of its own. This is the one place that commits per chunk instead of per request:
one transaction for a million rows would hold its locks and its undo for minutes and lose everything to one
late failure, while a chunk is small enough to be all or nothing, so a crash leaves no half-written row and a
second run picks up where the first stopped (rows already written come back "unchanged").
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from service.companies.scope import current_scope
from service.compensation.service import compensation_rules
from service.context import Actor
from service.custom_fields import repository as custom_fields_repository
from service.custom_fields.rules import FieldDef
from service.db import is_postgres, utcnow
from service.errors import Forbidden
from service.i18n import _
from service.imports.plan import YIELD_EVERY, ChunkPlanner, Planned
from service.imports.prepare import prepare_chunk
from service.imports.reader import (
    SNIFF_BYTES,
    DateOrder,
    DecimalMark,
    FileReading,
    RawRow,
    RowError,
    UndecodableText,
    custom_columns,
    read_rows,
    read_through,
)
from service.imports.references import References
from service.imports.rows import DeviceRecord, RowRules, read_record
from service.imports.seen import KeyIndex
from service.imports.writer import ChunkWork, Creation, write_chunk
from service.pausepoints import IMPORT_CHUNK_WRITTEN, pause_point
from service.settings import Settings

# The report lists at most this many distinct unknown categories and statuses (a file could have one per row).
MAX_LISTED = 1000


@dataclass(frozen=True)
class ImportOptions:
    format: Literal["kringloop", "snipeit"] = "kringloop"
    dry_run: bool = False
    date_order: DateOrder = None
    decimal_mark: DecimalMark = None
    # Each chunk pays a dozen statements, a commit and an audit record whatever its size: 2,500 rows took a tenth
    # less CPU than 1,000, in the import and in the database (bench/import.py), and keep a chunk well under a second.
    chunk_size: int = 2500


@dataclass
class RowOutcome:
    """One per data row of the file, in file order."""

    row: int
    outcome: Literal["created", "updated", "unchanged", "error"]
    device_id: int | None = None
    asset_tag: str = ""
    serial_number: str = ""
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    errors: int
    rows: int
    unknown_categories: list[str]
    unknown_statuses: list[str]
    dry_run: bool
    # Header cells the importer did not recognise (their columns were not read).
    ignored_columns: list[str] = field(default_factory=list)
    # How the file was read: its encoding, and the rows read leniently or skipped (FileReading.lines).
    readings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0: every row taken; 1: some rows refused. (2, an unusable file, is raised as UnusableFile.)"""
        return 1 if self.errors else 0


class _Source(io.RawIOBase):
    """The caller's stream, counting bytes for the progress bar; closing it leaves the caller's stream open."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)


def _check_whole_file(stream: BinaryIO) -> tuple[str, int]:
    """Reads a seekable file through once before writing anything, so an undecodable byte or a broken quote near
    the end makes the whole file unusable (exit 2, nothing written) rather than failing after chunks committed.
    Returns the encoding to read it in: a Windows-1252 file whose first accent comes after the sniffed block was
    guessed to be UTF-8, and is read again as what it is. A file whose sniffed block already held UTF-8 accents is
    UTF-8 with a broken byte further on, not Windows-1252: read as such, all its accents would come out garbled.
    Also returns how many records follow the header (read_through)."""
    start = stream.tell()
    try:
        read = read_through(_Source(stream))
    except UndecodableText as exc:
        stream.seek(start)
        if exc.encoding != "utf-8" or not stream.read(SNIFF_BYTES).isascii():
            raise
        stream.seek(start)
        read = read_through(_Source(stream), "cp1252")
    stream.seek(start)
    return read


class _Tally:
    def __init__(self) -> None:
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        self.unknown_categories: set[str] = set()
        self.unknown_statuses: set[str] = set()

    def note_unknowns(self, record: DeviceRecord) -> None:
        if record.unknown_category and len(self.unknown_categories) < MAX_LISTED:
            self.unknown_categories.add(record.unknown_category)
        if record.unknown_status and len(self.unknown_statuses) < MAX_LISTED:
            self.unknown_statuses.add(record.unknown_status)


def _outcome_of(planned: Planned, outcome: RowOutcome) -> None:
    record = planned.record
    outcome.notes.extend(record.notes)
    if record.unknown_category:
        outcome.notes.append(f'category "{record.unknown_category}" is not known: read as other')
    if record.unknown_status:
        outcome.notes.append(f'status "{record.unknown_status}" is not a known Snipe-IT status: read as in stock')
    if planned.errors:
        outcome.errors = planned.errors
        return
    if planned.item is None:
        outcome.outcome, outcome.device_id = "unchanged", planned.device_id
    elif isinstance(planned.item, Creation):
        outcome.outcome, outcome.device_id = "created", planned.item.device_id
    else:
        outcome.outcome, outcome.device_id = "updated", planned.item.device_id


@dataclass
class _ReadChunk:
    first_row: int
    last_row: int
    outcomes: dict[int, RowOutcome]
    records: list[DeviceRecord]


@dataclass
class _PlannedChunk:
    chunk: _ReadChunk
    session: AsyncSession
    work: ChunkWork
    planned: list[Planned]


class _Importer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        actor: Actor,
        options: ImportOptions,
        custom_fields: dict[str, FieldDef] | None = None,
        expected_rows: int = 0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.actor = actor
        self.options = options
        self.rules = RowRules(
            format=options.format,
            today=datetime.now(settings.tz).date(),
            max_purchase_price_cents=settings.max_purchase_price_cents,
            date_order=options.date_order,
            decimal_mark=options.decimal_mark,
            custom_fields=custom_fields or {},
        )
        self.compensation = compensation_rules(settings)
        self.references = References()
        # Every row claims its serial number and its asset tag (plan.py).
        self.planner = ChunkPlanner(self.references, KeyIndex.for_keys(2 * expected_rows), custom_fields)
        self.key = uuid.uuid4().hex[:12]
        self.tally = _Tally()
        self.reading = FileReading()
        self.written = 0
        self.analyzed_at = 0
        self.postgres = False  # known once the first chunk's session is open

    async def _refresh_statistics(self, session: AsyncSession) -> None:
        """PostgreSQL plans the chunk's queries (and create_obligations' anti-join) from table statistics; on a
        table the import is growing from nearly empty they say "a few rows" until autovacuum catches up, minutes
        later, and the plans scan every device (or employee) per chunk. Analyzing whenever the import has
        quadrupled what was analyzed keeps them right for a handful of ANALYZEs (each samples 30,000 rows, a tenth
        of a second on a large table; the planner scales what they counted by the table's current size)."""
        if not is_postgres(session) or self.written < max(4 * self.analyzed_at, self.options.chunk_size):
            return
        await session.execute(sa.text("ANALYZE devices, compensation_obligations, employees"))
        await session.commit()
        self.analyzed_at = self.written

    async def read_chunk(self, rows: Iterator[RawRow]) -> _ReadChunk | None:
        """The next chunk of rows, read and checked (no database; it yields now and then, see ``import_all``)."""
        outcomes: dict[int, RowOutcome] = {}
        records: list[DeviceRecord] = []
        raws: list[RawRow] = []
        while batch := list(itertools.islice(rows, min(YIELD_EVERY, self.options.chunk_size - len(raws)))):
            raws.extend(batch)
            self._check_rows(batch, outcomes, records)
            if len(raws) == self.options.chunk_size:
                break
            await asyncio.sleep(0)
        if not raws:
            return None
        return _ReadChunk(raws[0].number, raws[-1].number, outcomes, records)

    def _check_rows(self, raws: list[RawRow], outcomes: dict[int, RowOutcome], records: list[DeviceRecord]) -> None:
        for raw in raws:
            outcome = outcomes[raw.number] = RowOutcome(
                raw.number, "error", asset_tag=raw.values.get("asset_tag", ""),
                serial_number=raw.values.get("serial_number", ""),
            )  # fmt: skip
            result = read_record(raw, self.rules)
            outcome.notes.extend(raw.notes)
            for kind in raw.read_as:
                self.reading.note(kind, raw.number)
            if isinstance(result, list):
                outcome.errors = result
            else:
                records.append(result)
                self.tally.note_unknowns(result)

    @property
    def overlaps(self) -> bool:
        """Whether the next chunk is planned while the last one is written: on PostgreSQL, where each chunk has a
        connection and a transaction of its own, for a real run. (SQLite takes one writer at a time, and its
        BEGIN IMMEDIATE would make the planning wait for the writing anyway.)"""
        return self.postgres and not self.options.dry_run

    async def plan_chunk(self, chunk: _ReadChunk) -> _PlannedChunk:
        """Opens the chunk's session and decides every row, and where chunks overlap makes its new rows ready
        (prepare.py); the session stays open until ``write_chunk`` commits or rolls it back."""
        session = self.sessionmaker()
        self.postgres = is_postgres(session)
        try:
            await self._refresh_statistics(session)
            work = ChunkWork(self.key, self.options.format, chunk.first_row, chunk.last_row)
            planned = await self.planner.plan(session, chunk.records, work) if chunk.records else []
            if self.overlaps:
                await prepare_chunk(session, self.actor, work, self.references, self.compensation, utcnow())
        except BaseException:
            await session.close()
            raise
        return _PlannedChunk(chunk, session, work, planned)

    async def write_chunk(self, planned: _PlannedChunk) -> list[RowOutcome]:
        work, session = planned.work, planned.session
        try:
            if not self.options.dry_run and (work.creations or work.changes):
                await write_chunk(session, self.actor, work, self.references, self.compensation, utcnow())
                await pause_point(self.settings, IMPORT_CHUNK_WRITTEN)
                await session.commit()
                self.written += len(work.creations) + len(work.changes)
            else:
                await session.rollback()  # read only, or a dry run: nothing to keep
        finally:
            await session.close()  # rolls back whatever a failure left open
        outcomes = planned.chunk.outcomes
        for p in planned.planned:
            _outcome_of(p, outcomes[p.record.row])
        for outcome in outcomes.values():
            self.tally.counts[outcome.outcome] += 1
        return list(outcomes.values())

    async def import_all(self, rows: Iterator[RawRow], done: Callable[[list[RowOutcome]], None]) -> None:
        """Every chunk in file order, ``done`` called with each chunk's outcomes as it finishes.

        Where ``overlaps``, chunk N+1 is read and planned while chunk N is written: Python's work and the
        server's then run side by side instead of taking turns. Chunk N+1 locks what it changes and is written
        only after chunk N commits, so writes, their audit records and the models and employees they create keep
        file order, and a chunk waiting for the one before holds no row lock. What planning reads cannot yet
        show chunk N's writes, and needs not: a row naming a key an earlier row used is refused from memory
        (seen.py, and plan.py for a serial given without its manufacturer), a tag an earlier chunk took off its
        device is released before the next is planned (plan.py), and models and employees an earlier row
        created are in ``references``' cache, which is emptied only after every write has committed."""
        writing: asyncio.Task[list[RowOutcome]] | None = None
        try:
            while (chunk := await self.read_chunk(rows)) is not None:
                if writing is not None and self.references.wants_restart():
                    done(await writing)
                    writing = None
                planned = await self.plan_chunk(chunk)
                try:
                    if writing is not None:
                        outcomes, writing = await writing, None
                        done(outcomes)
                    await self.planner.lock_changes(planned.session, planned.planned, planned.work)
                except BaseException:
                    await planned.session.close()
                    raise
                if self.overlaps:
                    writing = asyncio.ensure_future(self.write_chunk(planned))
                else:
                    done(await self.write_chunk(planned))
            if writing is not None:
                outcomes, writing = await writing, None
                done(outcomes)
        except asyncio.CancelledError:
            if writing is not None:
                writing.cancel()
                await asyncio.gather(writing, return_exceptions=True)
            raise
        except BaseException:
            # Reading or planning failed while the chunk before was being written: that chunk finishes as it
            # would have on its own, and its rows are reported, before the failure is raised.
            if writing is not None:
                with contextlib.suppress(Exception):  # its own failure is second to the one being raised
                    done(await writing)
            raise


def refuse_company_scoped() -> None:
    """A company-scoped user may not import yet: rows are matched against every company's devices by asset tag
    and serial, and written into the default company, so a scoped file could reach another company's devices."""
    if current_scope() is not None:
        raise Forbidden(_("Importing is open only to users who see every company, for now."))


async def run_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    actor: Actor,
    stream: BinaryIO,
    options: ImportOptions,
    on_row: Callable[[RowOutcome], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Imports a device file; raises UnusableFile (nothing written) when the file as a whole cannot be read.

    ``on_row`` receives every row's outcome as its chunk finishes, so the caller can stream a report without
    anything here keeping all rows; ``on_progress`` receives the bytes read so far.
    """
    if options.chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    refuse_company_scoped()
    if not stream.seekable():
        # Standard input or a pipe: spooled to disk first, so the whole file is still checked before anything is
        # written (memory stays flat; the disk holds one copy of the file for the length of the import).
        with tempfile.TemporaryFile() as spooled:
            shutil.copyfileobj(stream, spooled, 1 << 20)
            spooled.seek(0)
            return await run_import(sessionmaker, settings, actor, spooled, options, on_row, on_progress)
    encoding, records = _check_whole_file(stream)
    source = _Source(stream)
    async with sessionmaker() as session:
        fields = await custom_fields_repository.definitions(session)
    importer = _Importer(sessionmaker, settings, actor, options, fields, records)
    extra = custom_columns({f.name: f.key for f in fields.values()})
    _columns, ignored, rows = read_rows(source, encoding, importer.reading, extra)

    def done(outcomes: list[RowOutcome]) -> None:
        if on_row is not None:
            for outcome in outcomes:
                on_row(outcome)
        if on_progress is not None:
            on_progress(source.bytes_read)

    await importer.import_all(rows, done)
    counts = importer.tally.counts
    return ImportSummary(
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        errors=counts["error"],
        rows=sum(counts.values()),
        unknown_categories=sorted(importer.tally.unknown_categories),
        unknown_statuses=sorted(importer.tally.unknown_statuses),
        dry_run=options.dry_run,
        ignored_columns=ignored,
        readings=importer.reading.lines(),
    )
