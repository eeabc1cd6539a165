"""The ``kringloop`` command."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

import click

from service.backups.cli import backup, restore
from service.commands import command_settings
from service.i18n import LOCALES, _, set_default_locale
from service.impact.cli import report_group
from service.imports.cli import import_group
from service.imports.cli_export import export as export_group
from service.settings import Settings


@click.group()
@click.option(
    "--lang",
    type=click.Choice(LOCALES),
    envvar="KRINGLOOP_LANG",
    default="nl",
    show_default=True,
    help="Language of the messages (and of anything people read that a command writes); KRINGLOOP_LANG too.",
)
def main(lang: str) -> None:
    """Kringloop: device lifecycle and residual-value donation manager."""
    set_default_locale(lang)
    # Before any subcommand: a command that registers or moves devices needs the features' hooks (the import, the
    # demo, the scheduler and its jobs alike).
    from service.bootstrap import wire_features

    wire_features()


main.add_command(export_group)
main.add_command(import_group)
main.add_command(report_group)
main.add_command(backup)
main.add_command(restore)


@main.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (alembic upgrade head)."""
    from service.migrate import upgrade

    settings = command_settings()
    upgrade(settings.database_url)
    click.echo(_("Database is at the newest schema."))


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default KRINGLOOP_HOST).")
@click.option("--port", default=None, type=int, help="Port (default KRINGLOOP_PORT).")
@click.option("--no-migrate", is_flag=True, help="Do not run migrations first.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), envvar="KRINGLOOP_WORKERS",
              help="Worker processes (KRINGLOOP_WORKERS); with more than one, one scheduler process runs beside them.")
def serve(host: str | None, port: int | None, no_migrate: bool, workers: int) -> None:
    """Run the web app (migrates first, and loads the demo organisation on a new demo database)."""
    import uvicorn

    from service.workers import several_workers

    settings = command_settings()
    if not no_migrate:
        from service.migrate import upgrade

        upgrade(settings.database_url)
    if settings.demo_mode:
        from service.demo import ensure_demo

        created = asyncio.run(ensure_demo(settings))
        _print_demo_logins(settings, created)
    with several_workers(settings, workers):
        uvicorn.run(
            "service.asgi:app",
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            proxy_headers=True,
            log_level=settings.log_level.lower(),
            # Requests are logged by the app with their correlation id; uvicorn's records go through service.logging.
            log_config=None,
            access_log=False,
        )


def _print_demo_logins(settings: Settings, created: bool) -> None:
    from service.demo import DEMO_LOGINS

    if created:
        click.echo(_("Loaded the demo organisation."))
    click.echo(_("Demo logins (password 'demo'): {logins}").format(logins=", ".join(u for u, _password in DEMO_LOGINS)))
    click.echo(_("Open http://{host}:{port}/ in a browser.").format(host=settings.host, port=settings.port))


@main.command()
def demo() -> None:
    """Load the demo organisation into an empty database (demo mode only)."""
    from service.demo import DemoRefused, load_demo

    settings = command_settings()
    if not settings.demo_mode:
        raise click.ClickException(_("The demo organisation is only loaded in demo mode (KRINGLOOP_DEMO_MODE=true)."))
    try:
        summary = asyncio.run(load_demo(settings))
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Loaded the demo organisation: {summary}").format(summary=summary))
    _print_demo_logins(settings, created=False)


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "helpdesk", "finance", "charity", "auditor"]))
@click.option("--charity", "charity_id", type=int, default=None, help="Charity id (role charity only).")
@click.option("--full-name", default="", help="The person's name as shown in the app.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(name: str, role: str, charity_id: int | None, full_name: str, password_stdin: bool) -> None:
    """Create a user; prompts for the password unless --password-stdin."""
    from pydantic import ValidationError

    from service.accounts.schemas import UserCreate
    from service.accounts.service import create_user
    from service.context import Actor
    from service.errors import DomainError

    settings = command_settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(username=name, password=password, role=role, charity_id=charity_id, full_name=full_name)
    except ValidationError as exc:
        raise click.ClickException("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from None

    async def run() -> Any:
        return await _with_session(settings, lambda s: create_user(s, Actor.cli("users-create"), data))

    try:
        user = asyncio.run(run())
    except DomainError as exc:
        messages = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors) or exc.detail
        raise click.ClickException(messages) from None
    click.echo(
        _("Created user {username} (id {id}, role {role}).").format(username=user.username, id=user.id, role=user.role)
    )


@main.command()
def scheduler() -> None:
    """Run the scheduled jobs in their own process (beside app instances started with the scheduler off)."""
    from service.bootstrap import build_ports, declared_jobs
    from service.db import make_engine, make_sessionmaker
    from service.jobs.scheduler import build_scheduler
    from service.logging import configure_logging

    settings = command_settings()
    configure_logging(settings.log_level, settings.log_json)
    jobs = declared_jobs(settings)

    async def run() -> None:
        engine = make_engine(settings)
        sched = build_scheduler(make_sessionmaker(engine), jobs, build_ports(settings), settings)
        sched.start()
        click.echo(
            _("Scheduler running {count} jobs: {names}. Ctrl-C stops it.").format(
                count=len(jobs), names=", ".join(jobs) or _("none")
            )
        )
        try:
            await asyncio.Event().wait()
        finally:
            sched.shutdown(wait=False)
            await engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@main.group()
def jobs() -> None:
    """Scheduled jobs."""


@jobs.command("list")
def jobs_list() -> None:
    """List the declared jobs and their schedules."""
    from service.bootstrap import declared_jobs
    from service.jobs.api import describe_trigger

    declared = declared_jobs(command_settings())
    if not declared:
        click.echo(_("No jobs are declared."))
    for job in declared.values():
        click.echo(f"{job.name:20} {describe_trigger(job):30} {job.description}")


@jobs.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run one job now, recorded like a scheduled run; exit 1 if it failed."""
    from service.bootstrap import build_ports, declared_jobs
    from service.db import make_engine, make_sessionmaker
    from service.jobs.service import JobBusy, run_manually

    settings = command_settings()
    declared = declared_jobs(settings)
    job = declared.get(name)
    if job is None:
        raise click.ClickException(
            _("No job is named {name}; known jobs: {known}.").format(
                name=repr(name), known=", ".join(declared) or _("none")
            )
        )

    async def run() -> Any:
        engine = make_engine(settings)
        try:
            return await run_manually(
                make_sessionmaker(engine), job, triggered_by="cli", ports=build_ports(settings), settings=settings
            )
        finally:
            await engine.dispose()

    try:
        result = asyncio.run(run())
    except JobBusy as exc:
        raise click.ClickException(exc.detail) from None
    counts = ", ".join(f"{k}: {v}" for k, v in result.counts.items()) if result else ""
    click.echo(f"{name}: {result.outcome if result else 'skipped'} {counts}".rstrip())
    if result is None or result.outcome != "succeeded":
        if result is not None and result.message:
            click.echo(result.message, err=True)
        sys.exit(1)


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 and name the first broken record if it was tampered with."""
    from service.audit.service import verify_chain

    settings = command_settings()
    result = asyncio.run(_with_session(settings, verify_chain))
    if result.ok:
        click.echo(
            _("Audit chain intact: {checked} records, head at {head_seq}.").format(
                checked=result.checked, head_seq=result.head_seq
            )
        )
        return
    assert result.broken is not None
    click.echo(
        _("Audit chain BROKEN at record {seq}: {reason}").format(seq=result.broken.seq, reason=result.broken.reason),
        err=True,
    )
    sys.exit(1)


async def _with_session(settings: Settings, work: Any) -> Any:
    from service.db import make_engine, make_sessionmaker, session_scope

    engine = make_engine(settings)
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
