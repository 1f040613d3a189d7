"""Profiles shipped with the simulator, selectable by name (`--profile lab`)."""

from __future__ import annotations

from pathlib import Path

from engine.sim.world import Profile, load_profile, parse_profile

# The test dialplan the Asterisk traces in ../shared/asterisk-traces were
# recorded against: the first digit of the extension picks the behaviour.
LAB_TOML = """
contexts = ["lab", "agents"]
# The recording box had no indications configured: tone playbacks failed.
playback_fail = ["tone:*"]
playback_seconds = 1.0

[amd]
context = "amd"
detect = 2.5
error_rate = 0.0
notsure_rate = 0.0

[[numbers]]
match = "1*"          # Wait(2), Answer, PlayTones 0.5 s, Wait(4), Hangup
outcome = "person"
ring = 2.0
talk = 4.5

[[numbers]]
match = "2*"          # Wait(1), Busy
outcome = "busy"
ring = 1.0

[[numbers]]
match = "3*"          # Wait(600): never answers
outcome = "no_answer"

[[numbers]]
match = "4*"          # Wait(1), Congestion
outcome = "congestion"
ring = 1.0

[[numbers]]
match = "5*"          # Wait(1), Answer, stays up
outcome = "person"
ring = 1.0

[[numbers]]
match = "6*"          # Answer, Wait(1.5), Hangup(21)
outcome = "rejected"
ring = 0.0
talk = 1.5
cause = 21

[[numbers]]
match = "9*"          # agents: Answer at once, stay up
outcome = "person"
ring = 0.0

[[numbers]]
match = "*"           # any other extension in the lab behaves like 1xxx
outcome = "person"
ring = 2.0
talk = 4.5
"""

BUILTIN = {"lab": LAB_TOML}


def resolve_profile(spec: str | Path | None) -> Profile:
    """A built-in profile by name, a TOML/JSON file by path, or the default."""
    if spec is None:
        return Profile()
    if isinstance(spec, str) and spec in BUILTIN:
        return parse_profile(BUILTIN[spec])
    return load_profile(spec)


def lab_profile() -> Profile:
    return parse_profile(LAB_TOML)
