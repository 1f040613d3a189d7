"""Asterisk's ARI declarations (Swagger 1.1), loaded at run time.

The simulator serves exactly the operations these files declare and checks
every request against them; the same module validates event and response
bodies against their models, so that ARI clients can reuse it in tests.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_VAR = "DIALSPOOL_ARI_DECLARATIONS"
DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-ari"

# Asterisk's ast_true() / ast_false() spellings.
_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})
_FALSE = frozenset({"no", "false", "n", "f", "0", "off"})
_PRIMITIVES = {"string", "int", "long", "double", "boolean", "Date", "object", "binary"}


def declarations_dir(path: str | Path | None = None) -> Path:
    """Where the declarations live: `path`, else $DIALSPOOL_ARI_DECLARATIONS, else ../shared."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_DIR


class RequestError(Exception):
    """A request the declarations (or Asterisk's own checks) reject."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class MissingParameter(RequestError):
    def __init__(self, name: str) -> None:
        super().__init__(400, f"Missing parameter {name}")
        self.name = name


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path | query | body
    required: bool
    data_type: str
    allow_multiple: bool
    allowed_values: tuple[str, ...] | None
    minimum: float | None
    maximum: float | None
    default: Any


@dataclass(frozen=True)
class Operation:
    resource: str
    path: str
    method: str
    nickname: str
    response_class: str
    params: tuple[Param, ...]
    upgrade: str | None
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    static_segments: int = 0

    @property
    def key(self) -> str:
        return f"{self.resource}.{self.nickname}"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def body_param(self) -> Param | None:
        return next((p for p in self.params if p.location == "body"), None)


def _param(raw: Mapping[str, Any]) -> Param:
    allowed: tuple[str, ...] | None = None
    minimum = maximum = None
    av = raw.get("allowableValues")
    if isinstance(av, dict):
        if av.get("valueType") == "LIST":
            allowed = tuple(str(v) for v in av.get("values", []))
        elif av.get("valueType") == "RANGE":
            minimum, maximum = av.get("min"), av.get("max")
    location = str(raw["paramType"])
    return Param(
        name=str(raw["name"]),
        location=location,
        # Path parameters are always required, whatever the file says.
        required=bool(raw.get("required")) or location == "path",
        data_type=str(raw.get("dataType", "string")),
        allow_multiple=bool(raw.get("allowMultiple")),
        allowed_values=allowed,
        minimum=minimum,
        maximum=maximum,
        default=raw.get("defaultValue"),
    )


def _compile(path: str) -> tuple[re.Pattern[str], int]:
    parts = []
    static = 0
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
            static += 1
    return re.compile("^/" + "/".join(parts) + "$"), static


class Declarations:
    """The loaded API declarations: operations, models, and their checks."""

    def __init__(self, directory: Path, listing: dict[str, Any], apis: dict[str, Any]) -> None:
        self.directory = directory
        self.listing = listing
        self.apis = apis
        self.operations: list[Operation] = []
        self.models: dict[str, dict[str, Any]] = {}
        self._parents: dict[str, str] = {}
        for resource, doc in apis.items():
            for model_id, model in doc.get("models", {}).items():
                self.models[model_id] = model
                for sub in model.get("subTypes", []):
                    self._parents[sub] = model_id
            for api in doc.get("apis", []):
                pattern, static = _compile(api["path"])
                for op in api.get("operations", []):
                    self.operations.append(
                        Operation(
                            resource=resource,
                            path=api["path"],
                            method=op["httpMethod"].upper(),
                            nickname=op["nickname"],
                            response_class=op.get("responseClass", "void"),
                            params=tuple(_param(p) for p in op.get("parameters", [])),
                            upgrade=op.get("upgrade"),
                            pattern=pattern,
                            static_segments=static,
                        )
                    )
        # Asterisk's URL tree tries literal children before {wildcards}.
        self.operations.sort(key=lambda o: -o.static_segments)
        self.by_key = {op.key: op for op in self.operations}

    # -- requests ---------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for `method path` (path relative to /ari), or RequestError."""
        path_found = False
        for op in self.operations:
            m = op.pattern.match(path)
            if m is None:
                continue
            path_found = True
            if op.method == method.upper():
                return op, dict(m.groupdict())
        if path_found:
            raise RequestError(405, "Invalid method")
        raise RequestError(404, "Resource not found")

    def parse_request(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        query: Iterable[tuple[str, str]],
        body: Any,
        ignore: frozenset[str] = frozenset({"api_key"}),
    ) -> dict[str, Any]:
        """Typed arguments for `op`, checked against its declared parameters.

        Like Asterisk, query parameters may also come as fields of a JSON
        body; the body parameter itself (variables, fields, filter) is the
        whole body, left for the operation to pick apart.
        """
        raw = _raw_values(op, query, body, ignore)
        args: dict[str, Any] = {}
        for param in op.params:
            if param.location == "path":
                args[param.name] = path_params[param.name]
            elif param.location == "body":
                args[param.name] = body
                if param.required and body is None:
                    raise MissingParameter(param.name)
            elif param.name in raw:
                args[param.name] = _convert(param, raw[param.name])
            elif param.required:
                raise MissingParameter(param.name)
            else:
                args[param.name] = _default(param)
        return args

    # -- models -----------------------------------------------------------

    def model_properties(self, model_id: str) -> dict[str, dict[str, Any]]:
        """Every property of a model, its bases' first (Message, Event, ...)."""
        chain = [model_id]
        while chain[-1] in self._parents:
            chain.append(self._parents[chain[-1]])
        props: dict[str, dict[str, Any]] = {}
        for mid in reversed(chain):
            props.update(self.models[mid].get("properties", {}))
        return props

    def event_types(self) -> list[str]:
        """Every concrete event model (those that descend from Event)."""
        return [m for m in self.models if self._descends(m, "Event") and m != "Event"]

    def _descends(self, model_id: str, base: str) -> bool:
        while model_id in self._parents:
            model_id = self._parents[model_id]
            if model_id == base:
                return True
        return False

    def validate_model(self, model_id: str, value: Any, where: str = "") -> list[str]:
        """Problems with `value` as an instance of `model_id` ([] when valid)."""
        where = where or model_id
        if not isinstance(value, dict):
            return [f"{where}: expected object {model_id}, got {type(value).__name__}"]
        props = self.model_properties(model_id)
        problems = [
            f"{where}: missing required field {name!r}"
            for name, spec in props.items()
            if spec.get("required") and name not in value
        ]
        for name, item in value.items():
            spec = props.get(name)
            if spec is None:
                problems.append(f"{where}: undeclared field {name!r}")
            else:
                problems += self.validate_type(str(spec["type"]), item, f"{where}.{name}")
                problems += _allowed(spec, item, f"{where}.{name}")
        return problems

    def validate_type(self, type_name: str, value: Any, where: str) -> list[str]:
        if type_name.startswith("List[") and type_name.endswith("]"):
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}"]
            inner = type_name[5:-1]
            out: list[str] = []
            for i, item in enumerate(value):
                out += self.validate_type(inner, item, f"{where}[{i}]")
            return out
        if type_name in _PRIMITIVES or type_name == "void":
            return [] if _primitive_ok(type_name, value) else [f"{where}: expected {type_name}"]
        if type_name in self.models:
            return self.validate_model(type_name, value, where)
        return [f"{where}: unknown type {type_name}"]

    def validate_event(self, event: Mapping[str, Any]) -> list[str]:
        """Problems with a WebSocket message against events.json ([] when valid)."""
        kind = event.get("type")
        if not isinstance(kind, str) or kind not in self.models:
            return [f"unknown event type {kind!r}"]
        return self.validate_model(kind, dict(event))


def _allowed(spec: Mapping[str, Any], value: Any, where: str) -> list[str]:
    allowed = spec.get("allowableValues")
    if not isinstance(allowed, dict) or allowed.get("valueType") != "LIST":
        return []
    values = allowed.get("values", [])
    return [] if value in values else [f"{where}: {value!r} not one of {values}"]


def _raw_values(
    op: Operation, query: Iterable[tuple[str, str]], body: Any, ignore: frozenset[str]
) -> dict[str, list[Any]]:
    """Each query parameter's raw values, from the query string then the JSON body."""
    raw: dict[str, list[Any]] = {}
    for name, value in query:
        if name in ignore:
            continue
        param = op.param(name)
        if param is None or param.location != "query":
            raise RequestError(400, f"Unknown parameter {name}")
        raw.setdefault(name, []).append(value)
    body_param = op.body_param
    if isinstance(body, dict):
        for name, value in body.items():
            param = op.param(name)
            if param is not None and param.location == "query":
                raw[name] = [value]
            elif body_param is None:
                raise RequestError(400, f"Unknown parameter {name}")
    elif body is not None and body_param is None:
        raise RequestError(400, "Request body must be a JSON object")
    return raw


def _primitive_ok(type_name: str, value: Any) -> bool:
    match type_name:
        case "string" | "Date":
            return isinstance(value, str)
        case "int" | "long":
            return isinstance(value, int) and not isinstance(value, bool)
        case "double":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "boolean":
            return isinstance(value, bool)
        case "object":
            return isinstance(value, dict)
    return True


def _default(param: Param) -> Any:
    if param.default is None:
        return [] if param.allow_multiple else None
    return _scalar(
        param, str(param.default).lower() if param.data_type == "boolean" else param.default
    )


def _convert(param: Param, values: list[Any]) -> Any:
    if param.allow_multiple:
        items: list[Any] = []
        for value in values:
            parts = value if isinstance(value, list) else str(value).split(",")
            items += [_scalar(param, part) for part in parts if str(part) != ""]
        return items
    return _scalar(param, values[-1])


def _scalar(param: Param, value: Any) -> Any:
    kind = param.data_type
    try:
        if kind in ("int", "long"):
            converted: Any = int(value)
        elif kind == "double":
            converted = float(value)
        elif kind == "boolean":
            converted = _boolean(value)
        else:
            converted = value if isinstance(value, str) else json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise RequestError(400, f"Invalid value for parameter {param.name}") from exc
    if param.allowed_values is not None and str(converted) not in param.allowed_values:
        raise RequestError(400, f"Invalid value for parameter {param.name}")
    if param.minimum is not None and converted < param.minimum:
        raise RequestError(400, f"Invalid value for parameter {param.name}")
    if param.maximum is not None and converted > param.maximum:
        raise RequestError(400, f"Invalid value for parameter {param.name}")
    return converted


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(text)


def _read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    return data


@functools.lru_cache(maxsize=8)
def _load(directory: Path) -> Declarations:
    listing = _read(directory / "resources.json")
    apis: dict[str, Any] = {}
    for entry in listing["apis"]:
        name = Path(str(entry["path"])).name.split(".")[0]
        apis[name] = _read(directory / f"{name}.json")
    return Declarations(directory, listing, apis)


def load_declarations(path: str | Path | None = None) -> Declarations:
    """Load (once per directory) the declarations found by `declarations_dir(path)`."""
    return _load(declarations_dir(path).resolve())
