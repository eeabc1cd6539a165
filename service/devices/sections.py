"""The parts other features add to the device page: each registers a name, a context function and a template.

The device page (devices/views.py) draws the sections create_app hands it (``app.state.device_sections``), in
order, between its actions and its history, without importing the features that own them. A section's refused
form comes back through ``views.render_device_page(..., section=name, refused=...)``: the section's context
function gets the ``Refused`` and draws that form again with the person's values and the errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State
from sqlmodel.ext.asyncio.session import AsyncSession

from service.web.forms import Refused

# (request, state, session, device view from devices.repository, this section's refused form or None) -> context
SectionContext = Callable[
    [Request[Any, Any, Any], State, AsyncSession, Any, Refused | None], Awaitable[dict[str, Any]]
]


@dataclass(frozen=True)
class DeviceSection:
    # Its anchor on the page (#faults) and the name a refused form names to come back to it.
    name: str
    template: str
    context: SectionContext
