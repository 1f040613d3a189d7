"""Which campaigns a principal may see and act on.

A supervisor assigned to campaigns (`PUT /v1/campaigns/{id}/supervisors`)
works within them: the wallboard, the live events, call history, recordings,
supervision of agents and the campaign's own controls. A supervisor assigned
to none oversees the whole floor, as before assignments exist; admins and
external systems (CRMs, with their own keys) are never narrowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from engine.auth.service import Principal
from engine.errors import Forbidden
from engine.store import campaigns as campaign_store


@dataclass(frozen=True)
class CampaignScope:
    campaigns: frozenset[int] | None  # None: every campaign

    @property
    def everything(self) -> bool:
        return self.campaigns is None

    def allows(self, campaign_id: int | None) -> bool:
        """Calls and events of no campaign (an agent's own manual calls) stay visible."""
        return self.campaigns is None or campaign_id is None or campaign_id in self.campaigns

    def allows_any(self, campaign_ids: Iterable[int]) -> bool:
        return self.campaigns is None or not self.campaigns.isdisjoint(campaign_ids)

    def require(self, campaign_id: int | None) -> None:
        if not self.allows(campaign_id):
            raise Forbidden(
                "this campaign is outside the campaigns you supervise",
                {"campaign_id": campaign_id},
            )


EVERYTHING = CampaignScope(None)


async def campaign_scope(conn: AsyncConnection, principal: Principal) -> CampaignScope:
    if principal.role != "supervisor" or principal.kind != "user":
        return EVERYTHING
    assigned = await campaign_store.campaigns_of_supervisor(conn, principal.id)
    return CampaignScope(frozenset(assigned)) if assigned else EVERYTHING
