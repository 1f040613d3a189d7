"""The call list of one seed: the fate of the k-th number dialled.

Every policy run on a seed draws from the same stream in dial order, so the
k-th number dialled has the same outcome and durations under every policy
(common random numbers: policy differences are not drowned in list noise).
Only whether the number answers live depends on when it is dialled, when the
scenario's answer rate changes during the shift: the k-th number carries one
uniform draw, compared with the rate in force at its dial time.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

from engine.dialer.simulate.scenario import Scenario


class Outcome(enum.Enum):
    LIVE = "live"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    MACHINE = "machine"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Fate:
    live_draw: float
    other: Outcome
    live_after: float  # dial to a person's answer
    other_after: float  # dial to the line's release when nobody answers
    talk: float
    wrap: float

    def resolve(self, answer_rate: float) -> tuple[Outcome, float]:
        """Outcome and seconds from dial to resolution at this answer rate."""
        if self.live_draw < answer_rate:
            return Outcome.LIVE, self.live_after
        return self.other, self.other_after


class FateStream:
    def __init__(self, scenario: Scenario, seed: int) -> None:
        self._sc = scenario
        # A string seed is hashed (SHA-512) by random: stable across runs and platforms.
        self._rng = random.Random(f"dialspool:{scenario.id}:{seed}")
        self.drawn = 0

    def next(self) -> Fate:
        sc, rng = self._sc, self._rng
        self.drawn += 1
        # Always the same draws in the same order, whatever the outcome, so
        # the stream stays aligned across policies.
        live_draw = rng.random()
        pick = rng.random()
        answer = self._answer_time(rng)
        machine = min(sc.post_dial_delay + sc.answer_time.draw(rng), sc.ring_timeout)
        invalid = sc.invalid_after.draw(rng)
        talk = max(sc.talk_min, sc.talk.draw(rng))
        wrap = sc.wrap.draw(rng)
        if pick < sc.no_answer:
            other, after = Outcome.NO_ANSWER, sc.ring_timeout
        elif pick < sc.no_answer + sc.busy:
            other, after = Outcome.BUSY, sc.busy_after
        elif pick < sc.no_answer + sc.busy + sc.machine:
            other, after = Outcome.MACHINE, machine + sc.amd_time
        else:
            other, after = Outcome.INVALID, invalid
        return Fate(live_draw, other, answer, after, talk, wrap)

    def _answer_time(self, rng: random.Random) -> float:
        sc = self._sc
        limit = sc.ring_timeout - sc.answer_margin
        while True:
            t = sc.post_dial_delay + sc.answer_time.draw(rng)
            if t < limit:
                return t
