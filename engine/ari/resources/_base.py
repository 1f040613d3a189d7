"""What every resource shares: the transport and ARI's variable body format."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict, TypeVar

from engine.ari.models import AriModel
from engine.ari.rest import AriHttp

M = TypeVar("M", bound=AriModel)
CreatedHook = Callable[[AriModel], None]


class VariableSpec(TypedDict, total=False):
    """A variable that also reports its changes in events (ARI 22's object form)."""

    value: str
    report_events: bool


VariableValue = str | VariableSpec
Variables = Mapping[str, VariableValue]

RecordIfExists = Literal["fail", "overwrite", "append"]
TerminateOn = Literal["none", "any", "*", "#"]


class Resource:
    """`on_created` hears of every channel and bridge this resource brings into being."""

    def __init__(self, http: AriHttp, on_created: CreatedHook | None = None) -> None:
        self._http = http
        self._on_created = on_created

    def _created(self, obj: M) -> M:
        if self._on_created is not None:
            self._on_created(obj)
        return obj


def variables_body(variables: Variables | None) -> dict[str, Any] | None:
    return None if variables is None else {"variables": dict(variables)}


def as_list(value: str | list[str] | tuple[str, ...]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
