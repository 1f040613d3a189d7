"""Who is calling: log-in, log-out, bearer tokens, API keys, users.

A `Principal` is what every authenticated request carries; roles decide what
it may do (`require_role`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.auth import secrets
from engine.auth.ratelimit import SlidingWindowLimiter
from engine.clock import Clock, utc_datetime
from engine.config import AuthConfig
from engine.errors import Forbidden, NotAuthenticated, TooManyRequests, ValidationFailed
from engine.store import users as store

log = logging.getLogger(__name__)

USER_ROLES = ("admin", "supervisor", "agent")
KEY_ROLES = (*USER_ROLES, "external")


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "api_key"
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    principal: Principal


def require_role(principal: Principal, allowed: frozenset[str]) -> None:
    if principal.role not in allowed:
        raise Forbidden(
            "your role does not allow this",
            {"role": principal.role, "allowed": sorted(allowed)},
        )


def _check_role(role: str, allowed: tuple[str, ...]) -> None:
    if role not in allowed:
        raise ValidationFailed(
            f"unknown role {role!r}", [{"field": "role", "message": f"one of {', '.join(allowed)}"}]
        )


class AuthService:
    def __init__(self, engine: AsyncEngine, clock: Clock, config: AuthConfig) -> None:
        self.engine = engine
        self._clock = clock
        self._config = config
        self._per_user = SlidingWindowLimiter(config.login_attempts_per_minute)
        self._per_address = SlidingWindowLimiter(config.login_attempts_per_minute)
        self._passwords = secrets.Passwords(
            config.password_hash_time_cost, config.password_hash_memory_kib
        )
        self._dummy_hash = self._passwords.hash(secrets.generate_password())

    async def login(self, username: str, password: str, address: str) -> IssuedToken:
        now = self._clock.now()
        for limiter, key in ((self._per_user, username), (self._per_address, address)):
            if not limiter.allowed(key, now):
                raise TooManyRequests(
                    "too many log-in attempts; try again later",
                    {"retry_after_seconds": round(limiter.retry_after(key, now), 1)},
                )
        self._per_user.hit(username, now)
        self._per_address.hit(address, now)
        async with self.engine.begin() as conn:
            user = await store.user_by_name(conn, username)
            # Argon2 takes tens of milliseconds of CPU: keep it off the event loop.
            # Unknown users are checked against a dummy hash so that the answer
            # takes as long as for a real one (no user enumeration by timing).
            stored = user["password_hash"] if user is not None else self._dummy_hash
            valid = await asyncio.get_running_loop().run_in_executor(
                None, self._passwords.verify, stored, password
            )
            if not valid or user is None or not user["active"]:
                log.info("log-in refused for user %r from %s", username, address)
                raise NotAuthenticated("wrong user name or password")
            token = secrets.new_token()
            ttl = self._config.token_ttl_seconds
            await store.add_token(
                conn,
                user_id=user["id"],
                token_hash=secrets.digest(token),
                created_at=utc_datetime(now),
                expires_at=utc_datetime(now) + timedelta(seconds=ttl),
            )
        principal = Principal("user", user["id"], user["username"], user["role"])
        return IssuedToken(token, ttl, principal)

    async def logout(self, token: str) -> None:
        async with self.engine.begin() as conn:
            await store.revoke_token(conn, secrets.digest(token), utc_datetime(self._clock.now()))

    async def authenticate(self, credential: str) -> Principal:
        """A bearer token or an API key: whichever this credential is."""
        hashed = secrets.digest(credential)
        now = utc_datetime(self._clock.now())
        async with self.engine.begin() as conn:
            user = await store.token_owner(conn, hashed, now)
            if user is not None:
                return Principal("user", user["id"], user["username"], user["role"])
            key = await store.api_key_by_hash(conn, hashed)
            if key is not None:
                await store.touch_api_key(conn, key["id"], now)
                return Principal("api_key", key["id"], key["name"], key["role"])
        raise NotAuthenticated("invalid, expired or revoked credentials")

    async def create_user(self, username: str, role: str, password: str) -> int:
        _check_role(role, USER_ROLES)
        password_hash = await asyncio.get_running_loop().run_in_executor(
            None, self._passwords.hash, password
        )
        async with self.engine.begin() as conn:
            return await store.create_user(
                conn, username=username, password_hash=password_hash, role=role
            )

    async def set_password(self, username: str, password: str) -> bool:
        password_hash = await asyncio.get_running_loop().run_in_executor(
            None, self._passwords.hash, password
        )
        async with self.engine.begin() as conn:
            return await store.set_password(conn, username, password_hash)

    async def create_api_key(self, name: str, role: str = "external") -> str:
        """Returns the key: shown once, stored only as a hash."""
        _check_role(role, KEY_ROLES)
        key = secrets.new_api_key()
        async with self.engine.begin() as conn:
            await store.create_api_key(
                conn, name=name, prefix=key[:8], key_hash=secrets.digest(key), role=role
            )
        return key
