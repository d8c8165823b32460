"""JSON Schemas shipped with pinlint (also for editors: point yaml-language-server at config.schema.json).

``problems`` first asks ``quick.valid`` whether the instance is certainly
valid (a few microseconds, no import); only when it is not, or when it cannot
tell, is jsonschema imported and run, so every reported message and key path
comes from jsonschema and a valid ``.pinlint.yaml`` costs no JSON Schema
engine at start-up.
"""
from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pinlint import inert
from pinlint.schemas import quick

if TYPE_CHECKING:
    import jsonschema

NAMES = ("config", "locator", "rule", "report")


_HERE = os.path.dirname(os.path.abspath(__file__))


@functools.cache
def load(name: str) -> dict[str, Any]:
    with open(os.path.join(_HERE, f"{name}.schema.json"), encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The subschema ``ref`` names: ``#/$defs/x`` in ``root``, or another shipped
    schema by file name or ``$id`` (with an optional ``#/...`` pointer)."""
    doc_part, _, pointer = ref.partition("#")
    doc: Any = root
    if doc_part:
        name = doc_part.rsplit("/", 1)[-1].removesuffix(".schema.json")
        if name not in NAMES or doc_part not in (f"{name}.schema.json", load(name)["$id"]):
            return None
        doc = load(name)
    for part in pointer.split("/")[1:] if pointer else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(doc, Mapping) or part not in doc:
            return None
        doc = doc[part]
    return doc if isinstance(doc, Mapping) else None


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    import jsonschema
    from referencing import Registry, Resource

    registry: Registry = Registry()
    for other in NAMES:
        schema = load(other)
        resource = Resource.from_contents(schema)
        registry = registry.with_resource(f"{other}.schema.json", resource).with_resource(schema["$id"], resource)
    return jsonschema.Draft202012Validator(load(name), registry=registry)


def standalone(name: str) -> dict[str, Any]:
    """The schema with every other shipped schema it refers to inlined under
    ``$defs``, so one file is enough for an editor (``pinlint schema``)."""
    inlined: dict[str, Any] = {}

    def rewrite(node: Any, prefix: str) -> Any:
        if isinstance(node, list):
            return [rewrite(v, prefix) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: rewrite(v, prefix) for k, v in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.endswith(".schema.json") and ref[: -len(".schema.json")] in NAMES:
            key = ref[: -len(".schema.json")] + ".schema"
            if key not in inlined:
                inlined[key] = None  # a cycle refers to it by then
                other = {k: v for k, v in load(key[: -len(".schema")]).items() if k not in ("$schema", "$id")}
                inlined[key] = rewrite(other, f"#/$defs/{key}")
            out["$ref"] = f"#/$defs/{key}"
        elif isinstance(ref, str) and ref.startswith("#/") and prefix != "#":
            out["$ref"] = prefix + ref[1:]
        return out

    schema: dict[str, Any] = rewrite(load(name), "#")
    schema.setdefault("$defs", {}).update(inlined)
    return schema


def problems(name: str, instance: object) -> Iterator[str]:
    """Every violation as ``key.path: message``, most relevant first."""
    if quick.valid(load(name), instance, _resolve) is True:
        return
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        yield f"{key_path(error.absolute_path)}: {_message(error)}"


def key_path(parts: Any) -> str:
    """``rules.severity.PIN031``; keys are the config author's text, shown escaped and short."""
    out = ""
    for part in parts:
        shown = str(part) if isinstance(part, int) else _short_key(str(part))
        out += f"[{shown}]" if isinstance(part, int) else (f".{shown}" if out else shown)
    return out or "(top level)"


def _short_key(key: str, limit: int = 60) -> str:
    key = inert.text(key)
    return key if len(key) <= limit else key[: limit - 1] + "\u2026"


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message with the offending value quoted as a short, escaped
    excerpt: a value can be long, or a secret read through a planted file."""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"unknown key {', '.join(inert.excerpt(k) for k in extra)} (allowed: {', '.join(allowed)})"
    if error.validator in ("oneOf", "anyOf") and error.context:
        import jsonschema.exceptions

        error = jsonschema.exceptions.best_match(error.context)
    if error.validator == "type" and error.validator_value == "array" and isinstance(error.instance, str):
        return f"must be a list, not a string: write [{inert.excerpt(error.instance)}]"
    message: str = error.message  # jsonschema is untyped: name the type of what is returned
    quoted = repr(error.instance)
    if quoted in message and len(quoted) > 60:
        message = message.replace(quoted, inert.excerpt(error.instance))
    return inert.text(message)
