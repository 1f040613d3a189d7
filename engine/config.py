"""Typed configuration: a TOML file, then `DIALSPOOL_<SECTION>_<KEY>` overrides.

Unknown keys and bad values stop the start with a message naming the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from engine.errors import ConfigError

ENV_PREFIX = "DIALSPOOL_"
CONFIG_ENV = "DIALSPOOL_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    shutdown_grace_seconds: float = Field(10.0, ge=0)


class DatabaseConfig(_Section):
    url: SecretStr = SecretStr("sqlite+aiosqlite:///var/dialspool.db")
    echo: bool = False


class AriConfig(_Section):
    url: str = "http://127.0.0.1:8088/ari"
    username: str = "dialspool"
    password: SecretStr = SecretStr("dialspool")
    app: str = "dialspool"
    enabled: bool = True
    request_timeout_seconds: float = Field(5.0, gt=0)
    pool_size: int = Field(50, ge=1)


class RecordingsConfig(_Section):
    path: Path = Path("recordings")
    # Signs the short-lived player URLs; None: a random one per process (URLs die
    # with it, and engine nodes cannot honour each other's). Set it in production.
    url_secret: SecretStr | None = None
    convert_to_mp3: bool = True
    retention_days: int = Field(0, ge=0)  # 0 keeps recordings forever


class DialerConfig(_Section):
    tick_seconds: float = Field(0.5, gt=0)
    ring_timeout_seconds: int = Field(25, ge=15)
    drop_time_seconds: float = Field(2.0, gt=0)
    abandon_cap_percent: float = Field(3.0, gt=0, le=100)
    max_lines_per_agent: int = Field(3, ge=1)
    # Numbers given without a country code are read as this region's (ISO 3166 code).
    default_region: str = Field("US", pattern=r"^[A-Z]{2}$")


class AuthConfig(_Section):
    token_ttl_seconds: int = Field(8 * 3600, ge=60)
    login_attempts_per_minute: int = Field(10, ge=1)
    # Argon2id cost; lower it only where log-ins must be cheap (tests).
    password_hash_time_cost: int = Field(3, ge=1)
    password_hash_memory_kib: int = Field(65536, ge=1024)


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class Config(_Section):
    http: HttpConfig = HttpConfig()
    database: DatabaseConfig = DatabaseConfig()
    ari: AriConfig = AriConfig()
    recordings: RecordingsConfig = RecordingsConfig()
    dialer: DialerConfig = DialerConfig()
    auth: AuthConfig = AuthConfig()
    logging: LoggingConfig = LoggingConfig()


def _section_fields() -> dict[str, set[str]]:
    return {
        name: set(info.annotation.model_fields)  # type: ignore[union-attr]
        for name, info in Config.model_fields.items()
    }


def _apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    sections = _section_fields()
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var == CONFIG_ENV:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        section, _, key = rest.partition("_")
        if section not in sections or key not in sections[section]:
            raise ConfigError(f"config: unknown setting {var} (no key {section}.{key})")
        data.setdefault(section, {})[key] = value


def _format_error(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"config: unknown key {key}"
    return f"config: {key}: {first['msg']}"


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (if any) and the environment into a `Config`."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get(CONFIG_ENV):
        path = Path(environ[CONFIG_ENV])
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config: file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None
    _apply_env(data, environ)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc)) from None


def masked(config: Config) -> dict[str, Any]:
    """The effective configuration as plain data, secrets masked."""
    shown: dict[str, Any] = config.model_dump(mode="json")
    shown["ari"]["password"] = "********"
    if config.recordings.url_secret is not None:
        shown["recordings"]["url_secret"] = "********"
    shown["database"]["url"] = mask_url(config.database.url.get_secret_value())
    return shown


def mask_url(url: str) -> str:
    """Hide the password of a `scheme://user:password@host/...` URL."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:********@{host}"
