"""A fast yes-or-unsure JSON Schema check, so a valid file does not pay for
importing and compiling jsonschema on every start.

``valid(schema, instance, resolve)`` answers True only when the instance is
certainly valid under Draft 2020-12 for the keywords it knows; it answers
False when it is certainly invalid and None when it cannot tell (a keyword
it does not implement, a float where an integer is asked for, an ``enum``
of mixed types).  The caller runs the real validator for anything but True,
so every message, key path and ordering of a report still comes from
jsonschema: this module may only ever skip a validation that would have
found nothing.

Implemented: ``type``, ``properties``, ``additionalProperties``,
``patternProperties``, ``propertyNames``, ``required``, ``minProperties``,
``maxProperties``, ``items``, ``minItems``, ``maxItems``, ``enum``, ``const``
(same-typed values), ``minimum``, ``maximum``, ``exclusiveMinimum``,
``exclusiveMaximum``, ``minLength``, ``maxLength``, ``pattern``, ``$ref``,
``allOf``, ``anyOf``, ``oneOf``, ``not``; annotations (``description``,
``title``, ``default``, ``examples``, ``$comment``, ``$id``, ``$schema``,
``$defs``, ``format`` — an annotation only, as jsonschema is called without a
format checker) are ignored.  Any other keyword makes the answer None.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

Resolve = Callable[[str, Mapping[str, Any]], "Mapping[str, Any] | None"]

_ANNOTATIONS = frozenset(("description", "title", "default", "examples", "$comment", "$id", "$schema",
                          "$defs", "format", "deprecated", "readOnly", "writeOnly"))
_DEPTH = 64  # deeper than any of pinlint's schemas nest; past it: unsure


@functools.lru_cache(maxsize=256)
def _pattern(p: str) -> re.Pattern[str]:
    return re.compile(p)


def _is_type(instance: object, name: str) -> bool | None:
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if name == "integer":
        if isinstance(instance, bool):
            return False
        if isinstance(instance, int):
            return True
        return None if isinstance(instance, float) else False  # 1.0 is an integer to jsonschema
    if name == "number":
        return isinstance(instance, (int, float)) and not isinstance(instance, bool)
    return None


def _same(a: object, b: object) -> bool | None:
    if type(a) is type(b) and isinstance(a, (str, int, bool)) or a is None and b is None:
        return a == b
    return None


def _all(results: list[bool | None]) -> bool | None:
    if False in results:
        return False
    return None if None in results else True


def valid(schema: Mapping[str, Any] | bool, instance: object, resolve: Resolve,
          root: Mapping[str, Any] | None = None, depth: int = 0) -> bool | None:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, Mapping) or depth > _DEPTH:
        return None
    root = schema if root is None else root
    out: list[bool | None] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        r = _keyword(key, value, schema, instance, resolve, root, depth)
        if r is False:
            return False
        out.append(r)
    return _all(out)


def _keyword(key: str, value: Any, schema: Mapping[str, Any], instance: object, resolve: Resolve,
             root: Mapping[str, Any], depth: int) -> bool | None:
    def sub(s: Any, inst: object, base: Mapping[str, Any] = root) -> bool | None:
        return valid(s, inst, resolve, base, depth + 1)

    if key == "type":
        names = value if isinstance(value, list) else [value]
        answers = [_is_type(instance, n) for n in names]
        return True if True in answers else (None if None in answers else False)
    if key == "$ref":
        if not isinstance(value, str):
            return None
        target = resolve(value, root)
        if target is None:
            return None
        new_root = root if value.startswith("#") else _document_of(value, resolve, root)
        return sub(target, instance, new_root)
    if key == "enum":
        answers = [_same(instance, v) for v in value]
        return True if True in answers else (None if None in answers else False)
    if key == "const":
        return _same(instance, value)
    if key in ("allOf", "anyOf", "oneOf"):
        answers = [sub(s, instance) for s in value]
        if key == "allOf":
            return _all(answers)
        if key == "anyOf":
            return True if True in answers else (None if None in answers else False)
        if None in answers:
            return None
        return answers.count(True) == 1
    if key == "not":
        r = sub(value, instance)
        return None if r is None else not r
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(instance, bool) or not isinstance(instance, (int, float)):
            return True
        if not isinstance(value, (int, float)):
            return None
        return {"minimum": instance >= value, "maximum": instance <= value,
                "exclusiveMinimum": instance > value, "exclusiveMaximum": instance < value}[key]
    if key in ("minLength", "maxLength", "pattern"):
        if not isinstance(instance, str):
            return True
        if key == "pattern":
            return _pattern(value).search(instance) is not None
        return bool(len(instance) >= value if key == "minLength" else len(instance) <= value)
    if key in ("minItems", "maxItems", "items"):
        if not isinstance(instance, list):
            return True
        if key == "items":
            if "prefixItems" in schema:
                return None
            return _all([sub(value, item) for item in instance])
        return bool(len(instance) >= value if key == "minItems" else len(instance) <= value)
    if key in ("properties", "additionalProperties", "patternProperties", "propertyNames", "required",
               "minProperties", "maxProperties"):
        if not isinstance(instance, dict):
            return True
        return _object_keyword(key, value, schema, instance, sub)
    return None


def _object_keyword(key: str, value: Any, schema: Mapping[str, Any], instance: dict[Any, Any],
                    sub: Callable[[Any, object], bool | None]) -> bool | None:
    if key == "required":
        return all(name in instance for name in value)
    if key == "minProperties":
        return bool(len(instance) >= value)
    if key == "maxProperties":
        return bool(len(instance) <= value)
    if key == "propertyNames":
        return _all([sub(value, k) if isinstance(k, str) else None for k in instance])
    if key == "properties":
        return _all([sub(s, instance[name]) for name, s in value.items() if name in instance])
    if key == "patternProperties":
        return _all([sub(s, v) for p, s in value.items() for k, v in instance.items()
                     if isinstance(k, str) and _pattern(p).search(k)])
    # additionalProperties: what neither properties nor patternProperties covers
    props = schema.get("properties", {})
    patterns = [_pattern(p) for p in schema.get("patternProperties", {})]
    extra = [v for k, v in instance.items()
             if not (isinstance(k, str) and (k in props or any(p.search(k) for p in patterns)))]
    if any(not isinstance(k, str) for k in instance):
        return None
    return _all([sub(value, v) for v in extra])


def _document_of(ref: str, resolve: Resolve, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema document a non-local ``$ref`` lands in (its own ``#/...`` refs resolve there)."""
    doc = resolve(ref.split("#", 1)[0], root)
    return doc if doc is not None else root
