"""The model as JSON and back: how a pod's desired state is kept in Docker for the agent.

Generic over frozen dataclasses (driven by their type hints), so a field added to
the model is kept without a change here. Bytes travel as base64.
"""
from __future__ import annotations

import base64
import dataclasses
import enum
import json
import types
import typing
from functools import lru_cache
from typing import Any, TypeVar, Union

T = TypeVar("T")
FORMAT_VERSION = 2          # 2: dataclasses carry their type


def to_data(value: Any) -> Any:
    """Plain JSON data for a model value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # the type travels along: members of a union (HTTPGetAction, TCPSocketAction, GRPCAction all hold
        # a port) cannot be told apart by their fields
        return {"$type": type(value).__name__} | {f.name: to_data(getattr(value, f.name))
                                                   for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    import sys

    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls, vars(module))


def from_data(kind: Any, data: Any) -> Any:
    """The model value of type `kind` that `to_data` made `data` from."""
    origin = typing.get_origin(kind)
    if kind is Any:
        return data
    if origin in (Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        named = data.get("$type") if isinstance(data, dict) else None
        if named is not None:
            for option in options:
                if dataclasses.is_dataclass(option) and option.__name__ == named:
                    return from_data(option, data)
            raise TypeError(f"{named} is not one of {kind}")
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return from_data(option, data)
            except (TypeError, ValueError, KeyError) as error:
                errors.append(error)
        raise TypeError(f"no type of {kind} fits {data!r}: {errors}")
    if origin is typing.Literal:
        if data not in typing.get_args(kind):
            raise ValueError(f"{data!r} is not one of {typing.get_args(kind)}")
        return data
    if origin is tuple:
        args = typing.get_args(kind)
        if not isinstance(data, list):
            raise TypeError(f"expected a list for {kind}, got {type(data).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_data(args[0], v) for v in data)
        return tuple(from_data(a, v) for a, v in zip(args, data, strict=True))
    if origin in (dict, typing.Mapping) or kind is dict:
        key_type, value_type = typing.get_args(kind) or (str, Any)
        return {from_data(key_type, k): from_data(value_type, v) for k, v in data.items()}
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise TypeError(f"expected a mapping for {kind.__name__}")
        if data.get("$type", kind.__name__) != kind.__name__:
            raise TypeError(f"expected {kind.__name__}, got {data['$type']}")
        hints = _hints(kind)
        values = {f.name: from_data(hints[f.name], data[f.name])
                  for f in dataclasses.fields(kind) if f.name in data}
        return kind(**values)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind is bytes:
        if isinstance(data, dict) and "$b64" in data:
            return base64.b64decode(data["$b64"])
        raise TypeError("expected base64 bytes")
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if kind in (str, int, bool, float):
        if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
            raise TypeError(f"expected {kind.__name__}, got {type(data).__name__}")
        return data
    if kind is type(None):
        if data is not None:
            raise TypeError("expected null")
        return None
    raise TypeError(f"cannot decode {kind}")


def dumps(value: Any) -> bytes:
    return json.dumps({"version": FORMAT_VERSION, "value": to_data(value)}, sort_keys=True).encode()


def loads(kind: type[T], text: bytes | str) -> T:
    payload = json.loads(text)
    if payload.get("version") != FORMAT_VERSION:
        raise ValueError(f"desired state format {payload.get('version')!r}, this podcompose reads {FORMAT_VERSION}")
    return from_data(kind, payload["value"])  # type: ignore[no-any-return]
