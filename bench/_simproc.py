"""The PBX simulator in a child process, for benchmarks that must not share its core."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp

USER = PASSWORD = "dialspool"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SimProcess:
    """`python -m engine sim` on a free loopback port; `ari_url` once `wait_ready()`."""

    def __init__(self, profile: str, time_scale: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ari_url = self.url + "/ari"
        # The child's output, shown if it fails to start; closed by stop().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine",
                "sim",
                "--port",
                str(self.port),
                "--profile",
                profile,
                "--time-scale",
                str(time_scale),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def wait_ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        auth = aiohttp.BasicAuth(USER, PASSWORD)
        async with aiohttp.ClientSession(auth=auth) as session:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"simulator exited early:\n{self.output()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(self.ari_url + "/asterisk/ping") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"simulator not ready after {within}s:\n{self.output()}")
                await asyncio.sleep(0.1)

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@contextlib.contextmanager
def sim_process(profile: str = "lab", time_scale: float = 50.0) -> Iterator[SimProcess]:
    sim = SimProcess(profile, time_scale)
    try:
        yield sim
    finally:
        sim.stop()


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cpus"
