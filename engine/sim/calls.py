"""Outbound calls: originate, create + dial, the callee's behaviour, hangups.

A `Local/<exten>@<context>` call is a pair of channels as in Asterisk: `;1`
is the channel the client owns, `;2` runs the (simulated) dialplan that
plays the callee. `PJSIP/...` calls are a single channel. The event order
and Q.850 causes follow the recorded Asterisk traces.
"""

from __future__ import annotations

import re

from engine.sim import bridging, media
from engine.sim import events as ev
from engine.sim.declarations import RequestError
from engine.sim.pbx import Pbx
from engine.sim.state import CallerId, Channel, Dialplan
from engine.sim.world import CAUSE_NO_ANSWER, CAUSE_NORMAL, CallPlan

# ARI's hangup reasons and the Q.850 causes Asterisk maps them to.
REASON_CAUSES = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 18,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}
# Asterisk reports an API hangup as a soft hangup whose "cause" is the
# AST_SOFTHANGUP_EXPLICIT flag, 0x20.
SOFTHANGUP_EXPLICIT = 32
TECHNOLOGIES = ("Local", "PJSIP")
_CALLERID = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$')


class AllocationFailed(RequestError):
    """Asterisk's answer when no channel driver takes the endpoint."""

    def __init__(self) -> None:
        super().__init__(500, "Allocation failed")
        self.field = "error"


def parse_callerid(text: str | None) -> CallerId:
    if not text:
        return CallerId()
    m = _CALLERID.match(text)
    if m:
        return CallerId(m.group(1).strip(), m.group(2).strip())
    if re.fullmatch(r"[0-9+*#()\- ]+", text):
        return CallerId("", text.strip())
    return CallerId(text.strip(), "")


def split_endpoint(endpoint: str) -> tuple[str, str]:
    tech, _, resource = endpoint.partition("/")
    if not tech or not resource:
        raise RequestError(400, "Invalid endpoint specified")
    if tech not in TECHNOLOGIES:
        raise AllocationFailed()
    return tech, resource


def _number_and_place(tech: str, resource: str) -> tuple[str, str]:
    """(dialled number, context or trunk) from an endpoint's resource."""
    resource = resource.split("/", 1)[0]  # Local/100@ctx/n options
    number, _, place = resource.partition("@")
    if tech == "Local":
        return number, place or "default"
    return number, place or number


# -- building the channels --------------------------------------------------


def new_call(
    pbx: Pbx,
    endpoint: str,
    *,
    channel_id: str | None,
    other_id: str | None,
    caller: CallerId,
    created_by: str,
) -> Channel:
    """The client's channel (and the Local ;2 half), in the Down state."""
    tech, resource = split_endpoint(endpoint)
    for cid in (channel_id, other_id):
        if pbx.channel_id_taken(cid):
            raise RequestError(409, "Channel with given unique ID already exists")
    number, place = _number_and_place(tech, resource)
    suffix = pbx.state.next_channel_suffix()
    originated = created_by == "originate"
    app = ("AppDial2", "(Outgoing Line)") if originated else ("", "")
    if tech == "Local":
        base = f"Local/{number}@{place}-{suffix}"
        ch = pbx.new_channel("local1", base + ";1", channel_id)
        two = pbx.new_channel(
            "local2", base + ";2", other_id or (f"{channel_id};2" if channel_id else None)
        )
        two.state = "Ring"
        two.dialplan = Dialplan(place, number, 1, "", "")
        two.caller, two.connected = _copy(caller), _copy(caller)
        two.partner_id, ch.partner_id = ch.id, two.id
        ch.dialplan = Dialplan(place, number, 1, *app)
        ch.dialstring = f"{number}@{place}"
    else:
        ch = pbx.new_channel("pjsip", f"PJSIP/{place}-{suffix}", channel_id)
        ch.dialplan = Dialplan("default", number, 1, *app)
        ch.dialstring = resource
    ch.resting_app = app
    ch.caller, ch.connected = _copy(caller), _copy(caller)
    ch.endpoint, ch.number = endpoint, number
    ch.created_by = "originate" if originated else "create"
    return ch


def _copy(caller: CallerId) -> CallerId:
    return CallerId(caller.name, caller.number)


def originate(
    pbx: Pbx,
    ch: Channel,
    *,
    app: str | None,
    app_args: list[str],
    variables: dict[str, str],
    timeout: int,
) -> None:
    """Start the call of an originated channel (its events follow the response)."""
    two = pbx.partner(ch)
    if app:
        pbx.state.app(app).channel_ids.update(c.id for c in (ch, two) if c)
    ch.home_app = app
    ch.stasis_args = list(app_args)
    for name, value in variables.items():
        ch.variables[name] = value
        if two is not None:
            two.variables[name] = value
    if two is not None:
        if ch.caller.name or ch.caller.number:
            pbx.emit_channel(ev.channel_callerid(pbx.now(), two), two)
            pbx.emit_channel(ev.channel_event("ChannelConnectedLine", pbx.now(), two), two)
        # Asterisk hands the variables over as a prepended list: last first.
        for name, value in reversed(list(variables.items())):
            pbx.emit_channel(ev.channel_varset(pbx.now(), two, name, value), two)
    _place_call(pbx, ch, timeout)


def create(pbx: Pbx, ch: Channel, app: str, app_args: list[str], variables: dict[str, str]) -> None:
    """POST /channels/create: the channel enters Stasis before anything is dialled."""
    pbx.state.app(app).channel_ids.add(ch.id)
    ch.variables.update(variables)
    ch.home_app = app
    ch.dialplan.app_name, ch.dialplan.app_data = "Stasis", ",".join([app, *app_args])
    pbx.emit_channel(ev.channel_dialplan(pbx.now(), ch), ch)
    pbx.enter_stasis(ch, app, app_args)


def dial(pbx: Pbx, ch: Channel, caller: Channel | None, timeout: int | None) -> None:
    if ch.created_by != "create":
        raise RequestError(409, "Dialing a channel not created by ARI")
    if ch.state != "Down" or ch.dialed:
        raise RequestError(409, "Channel is not in the 'Down' state")
    _place_call(pbx, ch, timeout or 0, caller)


def _place_call(pbx: Pbx, ch: Channel, timeout: int, caller: Channel | None = None) -> None:
    ch.dialed = True
    two = pbx.partner(ch)
    if two is not None and not pbx.profile.context_exists(two.dialplan.context):
        # No such extension: Asterisk tears the pair down with no cause.
        pbx.after(0, lambda: _vanish(pbx, ch), ch.id)
        return
    event = ev.dial(pbx.now(), ch, "", ch.dialstring)
    if caller is not None:
        event["caller"] = ev.channel_json(caller)
    pbx.emit_channel(event, ch)
    plan = pbx.world.plan(ch.number)
    ch.plan = plan
    pbx.counters[f"outcome_{plan.outcome}"] += 1
    if timeout > 0:
        pbx.after(timeout, lambda: _timeout(pbx, ch), ch.id)
    if two is None and plan.outcome not in ("busy", "congestion"):
        pbx.after(min(0.1, plan.ring), lambda: pbx.set_state(ch, "Ringing"), ch.id)
    if two is not None and plan.ring > 0:
        wait = "600" if plan.outcome == "no_answer" else f"{plan.ring:g}"
        pbx.dialplan_step(two, "Wait", wait, advance=False)
    if plan.outcome == "no_answer":
        return
    if plan.outcome in ("busy", "congestion"):
        pbx.after(plan.ring, lambda: _unavailable(pbx, ch, plan), ch.id)
    else:
        pbx.after(plan.ring, lambda: _answer(pbx, ch, plan), ch.id)


def _vanish(pbx: Pbx, ch: Channel) -> None:
    two = pbx.partner(ch)
    if two is not None:
        pbx.destroy(two, 0)
    pbx.destroy(ch, 0)


def _dial_status(pbx: Pbx, ch: Channel, status: str) -> None:
    dialstring = "" if ch.created_by == "create" and status == "ANSWER" else ch.dialstring
    pbx.emit_channel(ev.dial(pbx.now(), ch, status, dialstring), ch)


def _answer(pbx: Pbx, ch: Channel, plan: CallPlan) -> None:
    two = pbx.partner(ch)
    if two is not None:
        pbx.dialplan_step(two, "Answer")
        pbx.set_state(two, "Up")
    pbx.set_state(ch, "Up")
    ch.answered_at = pbx.now()
    _dial_status(pbx, ch, "ANSWER")
    if ch.created_by == "originate" and ch.home_app:
        pbx.enter_stasis(ch, ch.home_app, ch.stasis_args)
    if two is not None:
        pbx.dialplan_step(two, "Wait", f"{plan.talk:g}" if plan.talk is not None else "36000")
    if plan.talk is not None:
        cause = plan.cause if plan.outcome == "rejected" else CAUSE_NORMAL
        pbx.after(plan.talk, lambda: remote_hangup(pbx, ch, cause), ch.id)


def _unavailable(pbx: Pbx, ch: Channel, plan: CallPlan) -> None:
    """Busy or congested callee."""
    status = "BUSY" if plan.outcome == "busy" else "CONGESTION"
    two = pbx.partner(ch)
    if two is None:
        _dial_status(pbx, ch, status)
        _end_client_leg(pbx, ch, plan.cause, hangup_cause=plan.cause)
        return
    pbx.dialplan_step(two, "Busy" if plan.outcome == "busy" else "Congestion", "10")
    pbx.set_state(two, "Busy")
    _dial_status(pbx, ch, status)
    pbx.hangup_request(two, 0)
    # The ;1 half of a Local pair never learns the cause: Asterisk reports 0.
    _end_client_leg(pbx, ch, plan.cause if ch.in_stasis else 0, hangup_cause=plan.cause)
    pbx.hangup_request(two, CAUSE_NORMAL, soft=True)
    pbx.destroy(two, plan.cause)


def _timeout(pbx: Pbx, ch: Channel) -> None:
    if ch.answered_at is not None:
        return
    two = pbx.partner(ch)
    if two is not None:
        pbx.hangup_request(two, CAUSE_NO_ANSWER)
    if ch.in_stasis:
        _dial_status(pbx, ch, "NOANSWER")
    _end_client_leg(pbx, ch, CAUSE_NO_ANSWER, hangup_cause=CAUSE_NO_ANSWER)
    if two is not None:
        pbx.hangup_request(two, CAUSE_NORMAL, soft=True)
        pbx.destroy(two, CAUSE_NO_ANSWER)


def _end_client_leg(pbx: Pbx, ch: Channel, cause: int, hangup_cause: int) -> None:
    """Destroy the client's unanswered channel; if it sits in Stasis it leaves first."""
    if ch.in_stasis:
        pbx.hangup_request(ch, hangup_cause)
        leave_everything(pbx, ch)
    pbx.destroy(ch, cause)


def leave_everything(pbx: Pbx, ch: Channel) -> None:
    """What a hung-up channel does before it dies: stop media, leave bridge and Stasis."""
    media.channel_gone(pbx, ch)
    bridging.leave_current(pbx, ch)
    pbx.leave_stasis(ch)
    _hangup_snoops(pbx, ch)


def _hangup_snoops(pbx: Pbx, ch: Channel) -> None:
    for snoop in [c for c in pbx.state.channels.values() if c.partner_id == ch.id]:
        if snoop.kind == "snoop":
            client_hangup(pbx, snoop, CAUSE_NORMAL)


def remote_hangup(pbx: Pbx, ch: Channel, cause: int) -> None:
    """The callee hangs up an answered call."""
    if pbx.find_channel(ch.id) is None:
        return
    two = pbx.partner(ch)
    if two is not None:
        pbx.dialplan_step(two, "Hangup", "" if cause == CAUSE_NORMAL else str(cause))
        pbx.hangup_request(two, CAUSE_NORMAL, soft=True)
    pbx.hangup_request(ch, cause)
    bridging.leave_current(pbx, ch)
    if two is not None:
        pbx.destroy(two, cause)
    media.channel_gone(pbx, ch)
    pbx.leave_stasis(ch)
    _hangup_snoops(pbx, ch)
    pbx.destroy(ch, cause)


def client_hangup(pbx: Pbx, ch: Channel, cause: int) -> None:
    """DELETE /channels/{id}: the application hangs up one of its channels."""
    if ch.kind == "local2":
        owner = pbx.partner(ch)
        if owner is not None:
            remote_hangup(pbx, owner, cause)
        return
    pbx.hangup_request(ch, SOFTHANGUP_EXPLICIT, soft=True)
    two = pbx.partner(ch) if ch.kind == "local1" else None
    ringing = ch.dialed and ch.answered_at is None
    if ringing:
        _dial_status(pbx, ch, "NOANSWER")
    leave_everything(pbx, ch)
    if two is not None:
        pbx.hangup_request(two, CAUSE_NORMAL)
        if not ringing:
            pbx.hangup_request(two, CAUSE_NORMAL, soft=True)
    pbx.destroy(ch, cause)
    if two is not None:
        if ringing:
            pbx.hangup_request(two, CAUSE_NORMAL, soft=True)
        pbx.destroy(two, cause if ringing else CAUSE_NORMAL)


# -- dialplan: continue and AMD -------------------------------------------------


def continue_in_dialplan(
    pbx: Pbx, ch: Channel, context: str | None, extension: str | None, priority: int | None
) -> None:
    home = ch.stasis_app
    pbx.leave_stasis(ch)
    ch.dialplan.context = context or ch.dialplan.context
    ch.dialplan.exten = extension or ch.dialplan.exten
    ch.dialplan.priority = priority or 1
    amd = pbx.profile.amd
    if ch.dialplan.context == amd.context and home is not None:
        pbx.dialplan_step(ch, "AMD", "", advance=False)
        delay = ch.plan.amd_delay if ch.plan else 2.5
        pbx.after(delay, lambda: _amd_done(pbx, ch, home), ch.id)
        return
    # Any other dialplan is outside the simulated world: it runs off its end.
    pbx.after(0, lambda: remote_hangup(pbx, ch, CAUSE_NORMAL), ch.id)


def _amd_done(pbx: Pbx, ch: Channel, app: str) -> None:
    plan = ch.plan
    status, cause = (plan.amd_status, plan.amd_cause) if plan else ("HUMAN", "HUMAN-300-800")
    pbx.set_var(ch, "AMDSTATUS", status)
    pbx.set_var(ch, "AMDCAUSE", cause)
    pbx.dialplan_step(ch, "Stasis", ",".join([app, *pbx.profile.amd.args]))
    pbx.enter_stasis(ch, app, list(pbx.profile.amd.args))


def inbound(
    pbx: Pbx, did: str, caller: str, *, app: str, hangup_after: float | None, context: str
) -> Channel:
    """Someone calls `did` from outside: the channel runs the `inbound` context's
    `Stasis(app,inbound,<did>)` unanswered, as the shipped extensions.conf does; it
    hangs up after `hangup_after` world seconds (None: it waits as long as it takes)."""
    suffix = f"{len(pbx.state.channels) + pbx.counters['channels_created']:08x}"
    ch = pbx.new_channel("pjsip", f"PJSIP/trunk-{suffix}", None)
    ch.caller = CallerId("", caller)
    ch.connected = CallerId("", did)
    ch.number = did
    ch.dialplan = Dialplan(context, did, 1, "", "")
    ch.state = "Ring"
    pbx.dialplan_step(ch, "Stasis", f"{app},inbound,{did}", advance=False)
    # Entering Stasis subscribes the application to the channel, as in Asterisk.
    pbx.state.app(app).channel_ids.add(ch.id)
    pbx.enter_stasis(ch, app, ["inbound", did])
    if hangup_after is not None:
        # Its own timer owner: answering the channel cancels the channel's ring timers.
        pbx.after(hangup_after, lambda: remote_hangup(pbx, ch, CAUSE_NORMAL), f"caller:{ch.id}")
    return ch
