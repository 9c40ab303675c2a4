"""The workspace's clock: every moment procdoc records or compares is wall-clock time in
the workspace's `timezone` (default Asia/Shanghai), whatever the host's clock is set to
(SPEC §1). Moments are kept naive, to the minute, as the ledger shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def now_in(name: str) -> datetime:
    """The current moment to the minute, in zone ``name``, without tzinfo."""
    return to_zone(datetime.now(UTC), name).replace(second=0, microsecond=0)


def to_zone(moment: datetime, name: str) -> datetime:
    """An aware ``moment`` as naive wall-clock time in zone ``name``; a naive one is
    taken to be in that zone already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zone(name)).replace(tzinfo=None)
