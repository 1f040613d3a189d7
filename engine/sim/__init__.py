"""ARI-compatible PBX simulator: an Asterisk 22 look-alike on loopback.

`start_sim()` serves the ARI REST operations and the events WebSocket that
Asterisk's own declarations (../shared/asterisk-ari) describe, driven by a
seeded world model of called parties (`engine.sim.world`).
"""

from engine.sim.declarations import Declarations, declarations_dir, load_declarations
from engine.sim.server import RunningSim, create_sim_app, start_sim
from engine.sim.world import CallPlan, Profile, World, load_profile, parse_profile

__all__ = [
    "CallPlan",
    "Declarations",
    "Profile",
    "RunningSim",
    "World",
    "create_sim_app",
    "declarations_dir",
    "load_declarations",
    "load_profile",
    "parse_profile",
    "start_sim",
]
