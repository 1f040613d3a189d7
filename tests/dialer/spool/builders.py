"""Small builders for spool views with test defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.dialer.policy import RetryPolicy
from engine.dialer.views import (
    CampaignStatus,
    CampaignView,
    DestinationView,
    SpoolEntryView,
)
from engine.dialer.windows import US_TCPA, RulePack, WeeklySchedule, campaign_hours

NY = "America/New_York"
# A Tuesday, 15:00 in New York (EDT): inside every usual window.
NOON = datetime(2025, 6, 10, 19, 0, tzinfo=UTC)
NUMBER = "+12125550100"
OTHER = "+12125550111"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def dest(position: int = 0, number: str = NUMBER, **kwargs: Any) -> DestinationView:
    return DestinationView(position=position, number=number, **kwargs)


def entry(
    id: int = 1,
    destinations: tuple[DestinationView, ...] | None = None,
    due_at: datetime = NOON,
    **kwargs: Any,
) -> SpoolEntryView:
    return SpoolEntryView(
        id=id,
        campaign_id=1,
        due_at=due_at,
        destinations=destinations if destinations is not None else (dest(),),
        **kwargs,
    )


def campaign(
    status: CampaignStatus = CampaignStatus.RUNNING,
    rule_pack: RulePack = US_TCPA,
    retry: RetryPolicy | None = None,
    hours: WeeklySchedule | None = None,
    timezone: str = NY,
) -> CampaignView:
    return CampaignView(
        id=1,
        status=status,
        rule_pack=rule_pack,
        retry=retry or RetryPolicy(),
        hours=hours or campaign_hours([]),
        timezone=timezone,
    )
