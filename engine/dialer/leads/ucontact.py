"""uContact's dialer base: `campaign;number;var=val:var2=val2;alt1:alt2;priority;agentphone`.

As the uContact Integra docs give it (Dialers/uploadbase): one line per
contact, no header, `;` between fields, `:` between variables and between
alternates; priority and agentphone are optional, and so (our reading) are
the variables and the alternates, so that `campaign;number` is a whole line.
The variables feed both the agent's forms and the call's workflow in
uContact, so they become the contact's data and the spool entry's variables.
Priorities are kept as written (uContact reserves 1 for schedules and uses
9999 in its examples); agentphone binds the entry to the agent with that
name or endpoint when one exists.

Time zones: `uploadbasewithtimezone` sends the *same* line format with one
`timezone` parameter for the whole upload, so the zone is an option of the
load (`ParseOptions.timezone`). Exports that append the zone as a seventh
field are read too; that per-line zone wins over the upload's.

The campaign field must name the campaign being loaded (uContact's direction
suffix `->` / `<-` and case are ignored) when the loader says which it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from engine.dialer.leads.fields import MAX_AGENT, RowCheck
from engine.dialer.leads.model import Item, Lead, LineError, ParseOptions
from engine.dialer.leads.phones import PhoneNormalizer
from engine.dialer.leads.text import LineSplitter

_MIN_FIELDS = 2
_MAX_FIELDS = 7


def campaign_key(name: str) -> str:
    """A campaign name as uContact lines may write it: no direction suffix, any case."""
    name = name.strip()
    for suffix in ("->", "<-"):
        name = name.removesuffix(suffix)
    return name.strip().casefold()


def _variables(check: RowCheck, raw: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in raw.split(":"):
        if not pair.strip():
            continue
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            check.fail("variables", f"expected name=value, found {pair[:40]!r}")
            continue
        found[name.strip()] = value
    return found


class UcontactDecoder:
    def __init__(self, options: ParseOptions) -> None:
        self.options = options
        self._phones = PhoneNormalizer(options.default_region)
        self._lines = LineSplitter(options.encoding)
        self._line = 0
        self._campaigns = (
            frozenset(campaign_key(n) for n in options.campaign_names)
            if options.campaign_names is not None
            else None
        )

    def feed(self, chunk: bytes | str) -> list[Item]:
        return self._take(self._lines.feed(chunk))

    def close(self) -> list[Item]:
        return self._take(self._lines.close())

    def _take(self, lines: list[str | None]) -> list[Item]:
        out: list[Item] = []
        for raw in lines:
            self._line += 1
            if raw is None:
                out.append(LineError(self._line, None, f"not valid {self.options.encoding}"))
                continue
            text = raw.rstrip("\r\n")
            if text.strip():
                out.extend(self._row(self._line, text))
        return out

    def _row(self, line: int, text: str) -> list[Item]:
        parts = text.split(";")
        if not _MIN_FIELDS <= len(parts) <= _MAX_FIELDS:
            return [
                LineError(
                    line,
                    None,
                    f"expected 2 to {_MAX_FIELDS} fields separated by ';', found {len(parts)}",
                )
            ]
        parts += [""] * (_MAX_FIELDS - len(parts))
        campaign, number, variables, alternates, priority, agent, zone = parts
        check = RowCheck(line, self._phones)
        if not campaign.strip():
            check.fail("campaign", "missing campaign")
        elif self._campaigns is not None and campaign_key(campaign) not in self._campaigns:
            check.fail("campaign", f"line is for campaign {campaign.strip()!r}")
        main = check.phone("number", number)
        found = _variables(check, variables)
        alts = check.alternates("alternatives", list(alternates.split(":")), main)
        rank = check.priority("priority", priority)
        agent_ref = check.text("agentphone", agent, MAX_AGENT)
        timezone = check.zone("timezone", zone) or self.options.timezone
        if check.errors or main is None:
            return list(check.errors)
        return [
            Lead(
                line=line,
                phone=main,
                alternates=alts,
                data=found,
                variables=found,
                priority=rank,
                timezone=timezone,
                agent=agent_ref,
                campaign=campaign.strip(),
            )
        ]


def parse_ucontact(
    chunks: Iterable[bytes | str], options: ParseOptions | None = None
) -> Iterator[Item]:
    """Rows and per-line errors of a uContact base, as it is read."""
    decoder = UcontactDecoder(options or ParseOptions())
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()
