"""The rule catalog and the reference inventory as text: what ``pinlint
rules``, ``pinlint explain`` and ``pinlint refs`` print."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from pinlint.model import LocatedRef, RuleInfo

_FIX_SHORT = {"yes": "fix", "refresh": "fix --refresh", "no": ""}
_FIX_LONG = {"yes": "yes (--fix)", "refresh": "yes, with --fix --refresh", "no": "no"}


def rules_table(rules: Sequence[RuleInfo], out: TextIO) -> None:
    for r in rules:
        out.write(f"{r.id}  {r.name:<24} {r.severity:<8} {r.needs:<9} {_FIX_SHORT[r.fix]:<14} {r.summary}\n")


def rules_json(rules: Sequence[RuleInfo], out: TextIO) -> None:
    out.write(json.dumps([r._asdict() for r in rules], indent=2) + "\n")


def explain(rule: RuleInfo, examples: Sequence[Mapping[str, Any]], out: TextIO) -> None:
    out.write(f"{rule.id} {rule.name}\n\n")
    out.write(f"{rule.summary}\n\n")
    out.write(f"Default severity: {rule.severity}    Needs: {rule.needs}    Fixable: {_FIX_LONG[rule.fix]}\n\n")
    out.write(f"Why\n{_indent(rule.rationale)}\n\n")
    out.write(f"What to do\n{_indent(rule.remediation)}\n")
    for example in examples:
        if example.get("story"):
            out.write(f"\nExample\n{_indent(example['story'].strip())}\n")
        if example.get("config"):
            out.write(f"\nWith this .pinlint.yaml:\n{_indent(example['config'].rstrip())}\n")
        args = " ".join(example.get("args") or ())
        for label in ("bad", "good"):
            if example.get(label):
                title = "Flagged" if label == "bad" else "Passes"
                run = f", pinlint {args}" if args else ""
                out.write(f"\n{title} ({example['path']}{run}):\n{_indent(example[label].rstrip())}\n")


def _indent(text: str) -> str:
    """Indented by four, lines longer than 80 columns wrapped (folded YAML text is one long line)."""
    import textwrap

    out = []
    for line in text.splitlines():
        if len(line) > 76:
            out.extend(textwrap.wrap(line, 76, initial_indent="    ", subsequent_indent="    ",
                                     break_on_hyphens=False, break_long_words=False))
        else:
            out.append(f"    {line}" if line else "")
    return "\n".join(out)


def inventory(refs: Sequence[LocatedRef], out: TextIO) -> None:
    """One line per reference: ``path:line:col<TAB>kind<TAB>ref[<TAB>state]``."""
    for ref in refs:
        state = "built" if ref.built else "templated" if ref.templated else ("pinned" if ref.pinned else "")
        line = f"{ref.path}:{ref.span.line}:{ref.span.column}\t{ref.kind}\t{ref.text}"
        out.write(f"{line}\t{state}\n" if state else f"{line}\n")
