"""Campaign life cycle: create, change, start / pause / stop, delete."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.clock import Clock, utc_datetime
from engine.dialer.campaign_status import next_status
from engine.dialer.campaigns import Campaign, CampaignPatch, NewCampaign
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.store import campaigns as store


def _invalid(exc: ValidationError) -> ValidationFailed:
    details = [
        {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "message": err["msg"]}
        for err in exc.errors()
    ]
    return ValidationFailed("the campaign settings are invalid", details)


async def _check_references(conn: AsyncConnection, campaign: NewCampaign) -> None:
    if campaign.contact_database_id is not None:
        try:
            await store.get_contact_database(conn, campaign.contact_database_id)
        except NotFound:
            raise ValidationFailed(
                "unknown contact database",
                [{"field": "contact_database_id", "message": "no such contact database"}],
            ) from None


def _row_values(campaign: NewCampaign) -> dict[str, Any]:
    return campaign.model_dump(mode="json")


class CampaignService:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def create(self, campaign: NewCampaign) -> Campaign:
        async with self._engine.begin() as conn:
            await _check_references(conn, campaign)
            campaign_id = await store.create_campaign(conn, _row_values(campaign))
            return Campaign.model_validate(dict(await store.get_campaign(conn, campaign_id)))

    async def get(self, campaign_id: int) -> Campaign:
        async with self._engine.connect() as conn:
            return Campaign.model_validate(dict(await store.get_campaign(conn, campaign_id)))

    async def find(self, status: str | None = None) -> list[Campaign]:
        async with self._engine.connect() as conn:
            rows = await store.list_campaigns(conn, status)
        return [Campaign.model_validate(dict(row)) for row in rows]

    async def update(self, campaign_id: int, patch: CampaignPatch) -> Campaign:
        async with self._engine.begin() as conn:
            current = Campaign.model_validate(dict(await store.get_campaign(conn, campaign_id)))
            merged = current.model_dump() | patch.model_dump(exclude_unset=True)
            merged.pop("id")
            merged.pop("status")
            try:
                campaign = NewCampaign.model_validate(merged)
            except ValidationError as exc:
                raise _invalid(exc) from None
            await _check_references(conn, campaign)
            await store.update_campaign(
                conn, campaign_id, _row_values(campaign), utc_datetime(self._clock.now())
            )
            return Campaign.model_validate(dict(await store.get_campaign(conn, campaign_id)))

    async def transition(self, campaign_id: int, action: str) -> Campaign:
        async with self._engine.begin() as conn:
            current = await store.get_campaign(conn, campaign_id)
            status = next_status(action, current["status"])
            needs_contacts = status == "running" and current["mode"] != "inbound"
            if needs_contacts and current["contact_database_id"] is None:
                raise Conflict("a campaign needs a contact database before it can start")
            moved = await store.set_status(
                conn, campaign_id, current["status"], status, utc_datetime(self._clock.now())
            )
            if not moved:
                raise Conflict("the campaign changed meanwhile; try again")
            return Campaign.model_validate(dict(await store.get_campaign(conn, campaign_id)))

    async def delete(self, campaign_id: int) -> None:
        async with self._engine.begin() as conn:
            current = await store.get_campaign(conn, campaign_id)
            if current["status"] in ("running", "paused"):
                raise Conflict("stop the campaign before deleting it")
            await store.delete_campaign(conn, campaign_id)

    async def set_agents(self, campaign_id: int, agent_ids: list[int]) -> list[int]:
        async with self._engine.begin() as conn:
            await store.get_campaign(conn, campaign_id)
            await store.set_agents(conn, campaign_id, sorted(set(agent_ids)))
            return await store.agent_ids(conn, campaign_id)
