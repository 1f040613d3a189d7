"""Configuration: TOML, environment overrides, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load_config, mask_url, masked
from engine.errors import ConfigError


def test_defaults_without_a_file() -> None:
    config = load_config(None, {})
    assert config.http.port == 8080
    assert config.database.url.get_secret_value().startswith("sqlite+aiosqlite:///")


def test_file_then_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "dialspool.toml"
    path.write_text('[http]\nport = 9000\n[ari]\nusername = "asterisk"\n')
    config = load_config(
        path, {"DIALSPOOL_HTTP_PORT": "9100", "DIALSPOOL_AUTH_TOKEN_TTL_SECONDS": "600"}
    )
    assert config.http.port == 9100
    assert config.ari.username == "asterisk"
    assert config.auth.token_ttl_seconds == 600


def test_config_file_from_environment_variable(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[logging]\nformat = "json"\n')
    assert load_config(None, {"DIALSPOOL_CONFIG": str(path)}).logging.format == "json"


@pytest.mark.parametrize(
    ("toml", "env", "named"),
    [
        ("[http]\nprot = 1\n", {}, "http.prot"),
        ("[htp]\nport = 1\n", {}, "htp"),
        ("[http]\nport = 'x'\n", {}, "http.port"),
        ("[dialer]\nring_timeout_seconds = 10\n", {}, "dialer.ring_timeout_seconds"),
        ("", {"DIALSPOOL_HTTP_PORT": "99999"}, "http.port"),
        ("", {"DIALSPOOL_LOGGING_LEVEL": "LOUD"}, "logging.level"),
        ("", {"DIALSPOOL_DATABASE_URI": "x"}, "database.uri"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, toml: str, env: dict[str, str], named: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env)
    assert named in caught.value.message


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml", {})
    bad = tmp_path / "bad.toml"
    bad.write_text("[http\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, {})


def test_show_masks_secrets() -> None:
    config = load_config(
        None,
        {
            "DIALSPOOL_ARI_PASSWORD": "ari-secret",
            "DIALSPOOL_DATABASE_URL": "postgresql+asyncpg://u:db-secret@h:5432/d",
        },
    )
    shown = str(masked(config))
    assert "ari-secret" not in shown and "db-secret" not in shown
    assert "postgresql+asyncpg://u:********@h:5432/d" in shown


def test_mask_url_leaves_urls_without_password() -> None:
    assert mask_url("sqlite+aiosqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert mask_url("postgresql+asyncpg://u@h/d") == "postgresql+asyncpg://u@h/d"
