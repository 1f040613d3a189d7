"""Queries for agents, skills and pause reasons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.errors import Conflict, NotFound
from engine.store.tables import agent_skills, agents, pause_reasons, skills, users


async def create_agent(conn: AsyncConnection, values: dict[str, Any]) -> int:
    try:
        result = await conn.execute(insert(agents).values(**values).returning(agents.c.id))
    except IntegrityError:
        raise Conflict(f"agent {values['name']!r} exists or its user has an agent") from None
    return int(result.scalar_one())


def _agent_query() -> Any:
    return select(
        agents.c.id,
        agents.c.name,
        agents.c.endpoint,
        agents.c.active,
        agents.c.user_id,
        users.c.username,
    ).outerjoin(users, users.c.id == agents.c.user_id)


async def get_agent(conn: AsyncConnection, agent_id: int) -> RowMapping:
    row = (await conn.execute(_agent_query().where(agents.c.id == agent_id))).mappings().first()
    if row is None:
        raise NotFound(f"no agent {agent_id}", {"agent_id": agent_id})
    return row


async def agent_for_user(conn: AsyncConnection, user_id: int) -> RowMapping | None:
    result = await conn.execute(_agent_query().where(agents.c.user_id == user_id))
    return result.mappings().first()


async def list_agents(conn: AsyncConnection) -> list[RowMapping]:
    return list((await conn.execute(_agent_query().order_by(agents.c.id))).mappings())


async def update_agent(conn: AsyncConnection, agent_id: int, values: dict[str, Any]) -> None:
    try:
        result = await conn.execute(update(agents).where(agents.c.id == agent_id).values(**values))
    except IntegrityError:
        raise Conflict("another agent has that name or user") from None
    if not result.rowcount:
        raise NotFound(f"no agent {agent_id}", {"agent_id": agent_id})


async def create_skill(conn: AsyncConnection, name: str, description: str) -> int:
    try:
        result = await conn.execute(
            insert(skills).values(name=name, description=description).returning(skills.c.id)
        )
    except IntegrityError:
        raise Conflict(f"skill {name!r} already exists") from None
    return int(result.scalar_one())


async def list_skills(conn: AsyncConnection) -> list[RowMapping]:
    return list((await conn.execute(select(skills).order_by(skills.c.id))).mappings())


async def set_agent_skill(
    conn: AsyncConnection, agent_id: int, skill_id: int, capacity: int, enabled: bool
) -> None:
    await get_agent(conn, agent_id)
    if (await conn.execute(select(skills.c.id).where(skills.c.id == skill_id))).first() is None:
        raise NotFound(f"no skill {skill_id}", {"skill_id": skill_id})
    updated = await conn.execute(
        update(agent_skills)
        .where(agent_skills.c.agent_id == agent_id, agent_skills.c.skill_id == skill_id)
        .values(capacity=capacity, enabled=enabled)
    )
    if not updated.rowcount:
        await conn.execute(
            insert(agent_skills).values(
                agent_id=agent_id, skill_id=skill_id, capacity=capacity, enabled=enabled
            )
        )


async def agent_skill_rows(conn: AsyncConnection, agent_id: int) -> list[RowMapping]:
    result = await conn.execute(
        select(
            agent_skills.c.skill_id, skills.c.name, agent_skills.c.capacity, agent_skills.c.enabled
        )
        .join(skills, skills.c.id == agent_skills.c.skill_id)
        .where(agent_skills.c.agent_id == agent_id)
        .order_by(agent_skills.c.skill_id)
    )
    return list(result.mappings())


async def create_pause_reason(conn: AsyncConnection, name: str, productive: bool) -> int:
    try:
        result = await conn.execute(
            insert(pause_reasons)
            .values(name=name, productive=productive)
            .returning(pause_reasons.c.id)
        )
    except IntegrityError:
        raise Conflict(f"pause reason {name!r} already exists") from None
    return int(result.scalar_one())


async def list_pause_reasons(conn: AsyncConnection) -> list[RowMapping]:
    result = await conn.execute(select(pause_reasons).order_by(pause_reasons.c.id))
    return list(result.mappings())
