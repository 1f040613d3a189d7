"""Dispositions: what the agent (or the CRM) says of a contact, and what it does to the spool.

One disposition per contact per campaign; modifying it re-applies its action.
The option's action reaches the spool through the same pure retry rules as
call outcomes (engine/dialer/retry.py), in the transaction that stores the
disposition, so that a refused action (a callback without a time) stores
nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.clock import Clock, utc_datetime
from engine.dialer.spool import CampaignView, Disposition, DispositionAction, decide
from engine.errors import ValidationFailed
from engine.store import campaigns as campaign_store
from engine.store import dispositions as store
from engine.store import spool as spool_store
from engine.store.tables import contacts


def action_of(option: Any) -> DispositionAction:
    action = DispositionAction(option["action"])
    if action is DispositionAction.NONE and option["success"]:
        return DispositionAction.SUCCESS
    return action


class DispositionService:
    def __init__(self, db: AsyncEngine, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def _option(self, conn: AsyncConnection, campaign_id: int, option_id: int) -> Any:
        option = await store.get_option(conn, option_id)
        if option["campaign_id"] != campaign_id:
            raise ValidationFailed(
                "the option belongs to another campaign",
                [{"field": "option_id", "message": "not an option of this campaign"}],
            )
        return option

    async def _apply(
        self,
        conn: AsyncConnection,
        *,
        campaign_id: int,
        contact_id: int,
        call_id: int | None,
        option: Any,
        callback_at: datetime | None,
        callback_agent_id: int | None,
    ) -> str | None:
        """Run the option's action on the contact's spool entry; the new entry state."""
        found = await store.latest_entry_and_position(conn, campaign_id, contact_id, call_id)
        if found is None:
            if action_of(option) is DispositionAction.SCHEDULE:
                raise ValidationFailed("the contact has no spool entry to schedule a call on")
            return None
        entry_id, position = found
        entry = await spool_store.entry(conn, entry_id)
        assert entry is not None
        campaign = await campaign_store.get_campaign(conn, campaign_id)
        view = CampaignView.from_row(dict(campaign), campaign["custom_rule_pack"])
        now = utc_datetime(self._clock.now())
        action = decide(
            entry,
            entry.destination(position),
            Disposition(action_of(option), callback_at, callback_agent_id),
            view.retry,
            now,
        )
        await spool_store.apply_action(conn, action, now)
        return action.state.value

    async def create(
        self,
        campaign_id: int,
        contact_id: int,
        option_id: int,
        *,
        call_uuid: str | None = None,
        agent_id: int | None = None,
        comments: str = "",
        callback_at: datetime | None = None,
        callback_agent_id: int | None = None,
    ) -> dict[str, Any]:
        async with self._db.begin() as conn:
            campaign = await campaign_store.get_campaign(conn, campaign_id)
            if not await store.contact_in_campaign(
                conn, contact_id, campaign["contact_database_id"] or -1
            ):
                raise ValidationFailed(
                    "unknown contact", [{"field": "contact_id", "message": "not in this campaign"}]
                )
            option = await self._option(conn, campaign_id, option_id)
            call_id = await self._call_id(conn, call_uuid)
            disposition_id = await store.create(
                conn,
                {
                    "campaign_id": campaign_id,
                    "contact_id": contact_id,
                    "option_id": option_id,
                    "call_id": call_id,
                    "agent_id": agent_id,
                    "comments": comments,
                    "callback_at": callback_at,
                },
            )
            state = await self._apply(
                conn,
                campaign_id=campaign_id,
                contact_id=contact_id,
                call_id=call_id,
                option=option,
                callback_at=callback_at,
                callback_agent_id=callback_agent_id,
            )
            row = dict(await store.get(conn, disposition_id))
        return row | {"spool_state": state}

    async def modify(
        self,
        disposition_id: int,
        *,
        option_id: int | None = None,
        comments: str | None = None,
        callback_at: datetime | None = None,
        callback_agent_id: int | None = None,
    ) -> dict[str, Any]:
        async with self._db.begin() as conn:
            current = await store.get(conn, disposition_id)
            option_id = option_id or current["option_id"]
            option = await self._option(conn, current["campaign_id"], option_id)
            values: dict[str, Any] = {"option_id": option_id, "callback_at": callback_at}
            if comments is not None:
                values["comments"] = comments
            await store.modify(conn, disposition_id, values, utc_datetime(self._clock.now()))
            state = await self._apply(
                conn,
                campaign_id=current["campaign_id"],
                contact_id=current["contact_id"],
                call_id=current["call_id"],
                option=option,
                callback_at=callback_at,
                callback_agent_id=callback_agent_id,
            )
            row = dict(await store.get(conn, disposition_id))
        return row | {"spool_state": state}

    async def create_with_contact(
        self,
        campaign_id: int,
        fields: dict[str, str],
        option_id: int,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A contact met outside the spool (a manual or inbound call) and its disposition."""
        async with self._db.begin() as conn:
            campaign = await campaign_store.get_campaign(conn, campaign_id)
            if campaign["contact_database_id"] is None:
                raise ValidationFailed("the campaign has no contact database")
            schema = await campaign_store.get_contact_database(
                conn, campaign["contact_database_id"]
            )
            unknown = sorted(set(fields) - set(schema["fields"]))
            phone = fields.get(schema["main_phone_field"], "").strip()
            if unknown or not phone:
                raise ValidationFailed(
                    "invalid contact",
                    [
                        {
                            "field": f"contact.{name}",
                            "message": "not a field of the contact database",
                        }
                        for name in unknown
                    ]
                    or [{"field": f"contact.{schema['main_phone_field']}", "message": "required"}],
                )
            external = fields.get(schema["external_id_field"] or "")
            result = await conn.execute(
                insert(contacts)
                .values(
                    database_id=schema["id"],
                    external_id=external,
                    phone=phone,
                    data=fields,
                )
                .returning(contacts.c.id)
            )
            contact_id = int(result.scalar_one())
        return await self.create(campaign_id, contact_id, option_id, **kwargs)

    @staticmethod
    async def _call_id(conn: AsyncConnection, call_uuid: str | None) -> int | None:
        if call_uuid is None:
            return None
        call = await store.call_by_uuid(conn, call_uuid)
        if call is None:
            raise ValidationFailed(
                "unknown call", [{"field": "call_id", "message": "no such call"}]
            )
        return int(call["id"])
