"""``kringloop backup FILE`` and ``kringloop restore FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from service.i18n import gettext


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Write a backup of the whole database to FILE (PostgreSQL: pg_dump custom format; SQLite: a copy)."""
    from service.backups.service import BackupError
    from service.backups.service import backup as run_backup
    from service.commands import command_settings

    try:
        click.echo(run_backup(command_settings(), file))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace what the database holds now (stop the app first).")
def restore(file: Path, replace: bool) -> None:
    """Restore the database from a backup FILE; then check it with `kringloop audit verify`."""
    from service.backups.service import BackupError
    from service.backups.service import restore as run_restore
    from service.commands import command_settings

    try:
        click.echo(run_restore(command_settings(), file, replace=replace))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        gettext(
            "Next: `kringloop audit verify` checks the restored audit trail; `kringloop migrate` (or serve) "
            "brings an older backup to the newest schema."
        )
    )
