"""In what order eligible entries are dialled.

Convention (ascending `order_key`, first dialled first):

1. a due callback (`is_callback`) goes ahead of everything: the callee asked
   for this time;
2. then due entries, larger `priority` first;
3. then the earlier `due_at` (the longest overdue first);
4. then age: the smaller id, i.e. the older entry, first; this also makes the
   order total, so two runs over the same spool agree.

Entries not yet due sort after every due one (and callbacks among them are not
promoted). Whether the campaign runs is not an ordering matter: `evaluate`
filters that.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from engine.dialer.views import SpoolEntryView

DUE_CALLBACK, DUE, NOT_DUE = 0, 1, 2


class OrderKey(NamedTuple):
    rank: int
    negated_priority: int
    due_at: datetime
    id: int


def order_key(entry: SpoolEntryView, now: datetime) -> OrderKey:
    if entry.due_at > now:
        rank = NOT_DUE
    elif entry.is_callback:
        rank = DUE_CALLBACK
    else:
        rank = DUE
    return OrderKey(rank, -entry.priority, entry.due_at, entry.id)
