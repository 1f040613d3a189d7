"""Fixtures of the ARI client tests: declarations, a recording ARI peer, a fast clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.ari.client import AriClient
from engine.sim.declarations import Declarations, load_declarations
from tests.ari.peer import AriPeer
from tests.ari.support import APP, DECLARATIONS_DIR, PASSWORD, USERNAME, InstantClock


@pytest.fixture(scope="session")
def decl() -> Declarations:
    return load_declarations(DECLARATIONS_DIR)


@pytest.fixture
async def peer(decl: Declarations) -> AsyncIterator[AriPeer]:
    server = AriPeer(decl, username=USERNAME, password=PASSWORD)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def instant_clock() -> InstantClock:
    return InstantClock()


@pytest.fixture
async def client(peer: AriPeer, instant_clock: InstantClock) -> AsyncIterator[AriClient]:
    """A client on the peer, REST only (the event stream is not started)."""
    ari = AriClient(peer.url, USERNAME, PASSWORD, APP, clock=instant_clock, request_timeout=2.0)
    await ari.http.open()
    yield ari
    await ari.close()
