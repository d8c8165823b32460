"""JSON Schemas shipped with pinlint (also for editors: point yaml-language-server at config.schema.json)."""
from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

NAMES = ("config", "locator", "rule")


@functools.cache
def load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8"))
    return schema


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    registry: Registry = Registry()
    for other in NAMES:
        schema = load(other)
        resource = Resource.from_contents(schema)
        registry = registry.with_resource(f"{other}.schema.json", resource).with_resource(schema["$id"], resource)
    return jsonschema.Draft202012Validator(load(name), registry=registry)


def problems(name: str, instance: object) -> Iterator[str]:
    """Every violation as ``key.path: message``, most relevant first."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        yield f"{key_path(error.absolute_path)}: {_message(error)}"


def key_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"unknown key {', '.join(map(repr, extra))} (allowed: {', '.join(allowed)})"
    if error.validator in ("oneOf", "anyOf") and error.context:
        best: str = jsonschema.exceptions.best_match(error.context).message
        return best
    message: str = error.message  # jsonschema is untyped: name the type of what is returned
    return message
