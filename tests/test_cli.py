"""The `dialspool` command, run as a real process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DIALSPOOL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "DIALSPOOL_ARI_ENABLED": "false",
        "DIALSPOOL_AUTH_PASSWORD_HASH_TIME_COST": "1",
        "DIALSPOOL_AUTH_PASSWORD_HASH_MEMORY_KIB": "1024",
    }


@pytest.mark.timeout(180)  # nine process start-ups on a loaded 2-core machine
def test_user_lifecycle_and_usage_errors(env: dict[str, str]) -> None:
    not_migrated = run(["user", "list"], env)
    assert not_migrated.returncode == 2
    assert "dialspool db upgrade" in not_migrated.stderr

    assert run(["db", "upgrade"], env).returncode == 0
    added = run(["user", "add", "--username", "admin", "--role", "admin"], env)
    assert added.returncode == 0, added.stderr
    password = added.stdout.split("password: ", 1)[1].strip()
    assert len(password) >= 12

    again = run(["user", "add", "--username", "admin", "--role", "agent"], env)
    assert again.returncode == 2
    assert again.stderr.strip() == "dialspool: user 'admin' already exists"

    listing = run(["user", "list"], env)
    assert "admin" in listing.stdout and "agent" not in listing.stdout

    assert run(["user", "passwd", "--username", "ghost"], env).returncode == 2
    assert (
        run(
            ["user", "passwd", "--username", "admin", "--password", "n3w-pass-word"], env
        ).returncode
        == 0
    )

    key = run(["apikey", "create", "--name", "crm"], env)
    assert key.returncode == 0 and "dsk_" in key.stdout


def test_config_show_masks_and_bad_config_exits_2(env: dict[str, str]) -> None:
    shown = run(["config", "show"], {**env, "DIALSPOOL_ARI_PASSWORD": "s3cr3t"})
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["ari"]["password"] == "********"
    assert "s3cr3t" not in shown.stdout
    bad = run(["config", "show"], {**env, "DIALSPOOL_HTTP_PORT": "eighty"})
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "http.port" in bad.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_health_and_drains_on_sigterm(env: dict[str, str]) -> None:
    assert run(["db", "upgrade"], env).returncode == 0
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve"],
        env={**env, "DIALSPOOL_HTTP_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health") as response:
                    health = json.load(response)
                    break
            except OSError:
                time.sleep(0.1)
        assert health is not None and health["database"]["ok"] is True
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "stopped" in stderr
