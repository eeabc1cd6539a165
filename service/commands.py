"""What every ``kringloop`` command shares, below the command groups that use it (service/cli.py, imports/)."""

from __future__ import annotations

import click

from service.i18n import _
from service.settings import InsecureSettingsError, Settings


def command_settings() -> Settings:
    """The settings from the environment, or a one-line error naming the bad variable (no traceback)."""
    try:
        return Settings()
    except InsecureSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # pydantic's ValidationError: name the bad variable, no traceback
        raise click.ClickException(_("Invalid configuration: {exc}").format(exc=exc)) from None
