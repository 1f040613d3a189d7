"""How a call attempt ended, as the spool sees it.

The vocabulary between the per-call state machine (engine/dialplan/calls.py),
which produces an outcome, and the retry rules (engine/dialer/retry.py), which
consume it. The values are stored in `calls.outcome` and
`spool_destinations.last_outcome` and are keys of a campaign's retry policy.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CONGESTION = "congestion"
    # The network or the number is unusable (unallocated, no route, originate refused).
    FAILED = "failed"
    # The callee declined (Q.850 21, SIP 603).
    REJECTED = "rejected"
    MACHINE = "machine"
    # Answered by a person, no agent within the drop time: counts against the abandon cap.
    ABANDONED = "abandoned"
    # Answered by a person who hung up before an agent was bridged and before the
    # drop time: not an abandoned call under the TSR / Ofcom definitions.
    CUSTOMER_HANGUP = "customer_hangup"
    # Answered by a person and bridged to an agent; the disposition decides what next.
    ANSWERED = "answered"
