"""Queries for campaigns, their contact databases and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.errors import Conflict, NotFound, ValidationFailed
from engine.store.tables import campaign_agents, campaign_supervisors, campaigns, contact_databases


async def create_contact_database(conn: AsyncConnection, values: dict[str, Any]) -> int:
    try:
        result = await conn.execute(
            insert(contact_databases).values(**values).returning(contact_databases.c.id)
        )
    except IntegrityError:
        raise Conflict(f"contact database {values['name']!r} already exists") from None
    return int(result.scalar_one())


async def get_contact_database(conn: AsyncConnection, database_id: int) -> RowMapping:
    row = (
        (await conn.execute(select(contact_databases).where(contact_databases.c.id == database_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no contact database {database_id}")
    return row


async def list_contact_databases(conn: AsyncConnection) -> list[RowMapping]:
    result = await conn.execute(select(contact_databases).order_by(contact_databases.c.id))
    return list(result.mappings())


async def create_campaign(conn: AsyncConnection, values: dict[str, Any]) -> int:
    try:
        result = await conn.execute(insert(campaigns).values(**values).returning(campaigns.c.id))
    except IntegrityError:
        raise Conflict(
            f"a campaign named {values['name']!r} or with that external id already exists"
        ) from None
    return int(result.scalar_one())


async def get_campaign(conn: AsyncConnection, campaign_id: int) -> RowMapping:
    row = (
        (await conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no campaign {campaign_id}", {"campaign_id": campaign_id})
    return row


async def list_campaigns(conn: AsyncConnection, status: str | None = None) -> list[RowMapping]:
    query = select(campaigns).order_by(campaigns.c.id)
    if status is not None:
        query = query.where(campaigns.c.status == status)
    return list((await conn.execute(query)).mappings())


async def update_campaign(
    conn: AsyncConnection, campaign_id: int, values: dict[str, Any], now: datetime
) -> None:
    try:
        result = await conn.execute(
            update(campaigns).where(campaigns.c.id == campaign_id).values(**values, updated_at=now)
        )
    except IntegrityError:
        raise Conflict("another campaign has that name or external id") from None
    if not result.rowcount:
        raise NotFound(f"no campaign {campaign_id}", {"campaign_id": campaign_id})


async def set_status(
    conn: AsyncConnection, campaign_id: int, expected: str, status: str, now: datetime
) -> bool:
    """Compare-and-set, so that two requests cannot both move the same campaign."""
    result = await conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status == expected)
        .values(status=status, updated_at=now)
    )
    return bool(result.rowcount)


async def delete_campaign(conn: AsyncConnection, campaign_id: int) -> None:
    await conn.execute(delete(campaigns).where(campaigns.c.id == campaign_id))


async def set_agents(conn: AsyncConnection, campaign_id: int, agent_ids: list[int]) -> None:
    await conn.execute(delete(campaign_agents).where(campaign_agents.c.campaign_id == campaign_id))
    if agent_ids:
        try:
            await conn.execute(
                insert(campaign_agents),
                [{"campaign_id": campaign_id, "agent_id": agent_id} for agent_id in agent_ids],
            )
        except IntegrityError:
            raise ValidationFailed(
                "unknown agent id", [{"field": "agent_ids", "message": "no such agent"}]
            ) from None


async def agent_ids(conn: AsyncConnection, campaign_id: int) -> list[int]:
    result = await conn.execute(
        select(campaign_agents.c.agent_id)
        .where(campaign_agents.c.campaign_id == campaign_id)
        .order_by(campaign_agents.c.agent_id)
    )
    return [int(agent_id) for (agent_id,) in result]


async def campaigns_of_agent(conn: AsyncConnection, agent_id: int) -> list[int]:
    result = await conn.execute(
        select(campaign_agents.c.campaign_id)
        .where(campaign_agents.c.agent_id == agent_id)
        .order_by(campaign_agents.c.campaign_id)
    )
    return [int(campaign_id) for (campaign_id,) in result]


async def campaigns_of_supervisor(conn: AsyncConnection, user_id: int) -> list[int]:
    result = await conn.execute(
        select(campaign_supervisors.c.campaign_id)
        .where(campaign_supervisors.c.user_id == user_id)
        .order_by(campaign_supervisors.c.campaign_id)
    )
    return [int(campaign_id) for (campaign_id,) in result]


async def set_supervisors(conn: AsyncConnection, campaign_id: int, user_ids: list[int]) -> None:
    await conn.execute(
        delete(campaign_supervisors).where(campaign_supervisors.c.campaign_id == campaign_id)
    )
    if user_ids:
        try:
            await conn.execute(
                insert(campaign_supervisors),
                [{"campaign_id": campaign_id, "user_id": user_id} for user_id in user_ids],
            )
        except IntegrityError:
            raise ValidationFailed(
                "unknown user id", [{"field": "user_ids", "message": "no such user"}]
            ) from None
