"""Wires the partner ports: real httpx clients from settings, or the built-in fakes (demo, tests).

Services and jobs receive a ``Ports`` value; nothing reaches for a partner client on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.settings import Settings


@dataclass
class Ports:
    """The partners a job or service may talk to. Features add their port here as they arrive."""


def build_ports(settings: Settings) -> Ports:
    return Ports()
