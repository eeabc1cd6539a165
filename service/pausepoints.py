"""Named points where the reliability tests stop a process, to kill it there (tests/reliability).

Inert unless ``KRINGLOOP_TEST_PAUSE_AT`` names a point: a process is paused only when a test asked for it.
The setting is ``POINT`` or ``POINT:N`` (pause at the N-th arrival, counted per process); on arrival the process
writes its pid to ``KRINGLOOP_TEST_PAUSE_SIGNAL_FILE`` and sleeps ``KRINGLOOP_TEST_PAUSE_SECONDS``, then goes on.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

from service.settings import PAUSE_POINTS, Settings

# Where a pause can be asked for: the reliability tests kill the process at each.
# A donation and its allocations written, the run not committed; a chunk's rows, events and audit written, not
# committed. Settings lists them, to refuse a misspelt KRINGLOOP_TEST_PAUSE_AT at start.
DONATION_DRAFTED, IMPORT_CHUNK_WRITTEN = PAUSE_POINTS
POINTS = PAUSE_POINTS

_arrivals: Counter[str] = Counter()


def _wanted(setting: str) -> tuple[str, int]:
    point, _, nth = setting.partition(":")
    return point, int(nth) if nth else 1


async def pause_point(settings: Settings, name: str) -> None:
    if not settings.test_pause_at:
        return
    point, nth = _wanted(settings.test_pause_at)
    if point != name:
        return
    _arrivals[name] += 1
    if _arrivals[name] != nth:
        return
    if settings.test_pause_signal_file is not None:
        settings.test_pause_signal_file.write_text(str(os.getpid()))
    await asyncio.sleep(settings.test_pause_seconds)
