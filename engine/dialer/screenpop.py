"""The screen-pop: what an agent's screen shows when a call reaches them."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def crm_link(template: str | None, contact: Mapping[str, Any]) -> str | None:
    """The campaign's CRM URL template filled from the contact, values URL-encoded.

    Only plain `{name}` fields are filled: a template cannot reach attributes or
    indexes of the values (no `{x.__class__}` tricks), and unknown names are empty.
    """
    if not template:
        return None
    fields = _Fields({key: quote(str(value), safe="") for key, value in contact.items()})
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(fields[name] if name.isidentifier() else "")
    return "".join(out)
