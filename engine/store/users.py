"""Queries for users, bearer tokens and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.errors import Conflict
from engine.store.tables import api_keys, auth_tokens, users


async def create_user(
    conn: AsyncConnection, *, username: str, password_hash: str, role: str, full_name: str = ""
) -> int:
    try:
        result = await conn.execute(
            insert(users)
            .values(username=username, password_hash=password_hash, role=role, full_name=full_name)
            .returning(users.c.id)
        )
    except IntegrityError:
        raise Conflict(f"user {username!r} already exists", {"username": username}) from None
    return int(result.scalar_one())


async def user_by_name(conn: AsyncConnection, username: str) -> RowMapping | None:
    result = await conn.execute(select(users).where(users.c.username == username))
    return result.mappings().first()


async def list_users(conn: AsyncConnection) -> list[RowMapping]:
    result = await conn.execute(
        select(
            users.c.id, users.c.username, users.c.role, users.c.full_name, users.c.active
        ).order_by(users.c.username)
    )
    return list(result.mappings())


async def set_password(conn: AsyncConnection, username: str, password_hash: str) -> bool:
    result = await conn.execute(
        update(users).where(users.c.username == username).values(password_hash=password_hash)
    )
    return bool(result.rowcount)


async def add_token(
    conn: AsyncConnection,
    *,
    user_id: int,
    token_hash: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(auth_tokens).values(
            user_id=user_id, token_hash=token_hash, created_at=created_at, expires_at=expires_at
        )
    )


async def token_owner(conn: AsyncConnection, token_hash: str, now: datetime) -> RowMapping | None:
    """The active user holding this unexpired, unrevoked token."""
    result = await conn.execute(
        select(users.c.id, users.c.username, users.c.role)
        .join(auth_tokens, auth_tokens.c.user_id == users.c.id)
        .where(
            auth_tokens.c.token_hash == token_hash,
            auth_tokens.c.revoked_at.is_(None),
            auth_tokens.c.expires_at > now,
            users.c.active.is_(True),
        )
    )
    return result.mappings().first()


async def revoke_token(conn: AsyncConnection, token_hash: str, now: datetime) -> bool:
    result = await conn.execute(
        update(auth_tokens)
        .where(auth_tokens.c.token_hash == token_hash, auth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


async def create_api_key(
    conn: AsyncConnection, *, name: str, prefix: str, key_hash: str, role: str
) -> int:
    try:
        result = await conn.execute(
            insert(api_keys)
            .values(name=name, prefix=prefix, key_hash=key_hash, role=role)
            .returning(api_keys.c.id)
        )
    except IntegrityError:
        raise Conflict(f"API key {name!r} already exists", {"name": name}) from None
    return int(result.scalar_one())


async def api_key_by_hash(conn: AsyncConnection, key_hash: str) -> RowMapping | None:
    result = await conn.execute(
        select(api_keys.c.id, api_keys.c.name, api_keys.c.role).where(
            api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None)
        )
    )
    return result.mappings().first()


async def touch_api_key(conn: AsyncConnection, key_id: int, now: datetime) -> None:
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))


async def list_api_keys(conn: AsyncConnection) -> list[RowMapping]:
    result = await conn.execute(
        select(
            api_keys.c.id,
            api_keys.c.name,
            api_keys.c.prefix,
            api_keys.c.role,
            api_keys.c.created_at,
            api_keys.c.revoked_at,
        ).order_by(api_keys.c.name)
    )
    return list(result.mappings())


async def count_users(conn: AsyncConnection) -> int:
    result = await conn.execute(select(func.count()).select_from(users))
    return int(result.scalar_one())
