"""Write calibrated thresholds into a copy of a policy YAML, keeping its comments.

A careful line edit, not a YAML round trip: the ``classifier.thresholds`` values are
replaced in place (block or flow style; comments after a value stay), missing tiers
are added at the same indent, and the top-level ``calibration:`` section is replaced
(or appended) as a whole. The result is validated with the policy loader and must read
back the written thresholds, or nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from policies import LabelingError, Policy, parse_policy

__all__ = ["write_calibrated_policy", "calibrated_policy_text"]

_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_KEY_LINE = re.compile(r"^(?P<indent>\s+)(?P<key>[\w-]+):(?P<value>[^#\n]*?)(?P<rest>\s*(#.*)?)$")


def calibrated_policy_text(
    text: str,
    thresholds: dict[str, float],
    calibration: dict[str, object],
    try_cheaper_min_p: float | None = None,
) -> str:
    """``text`` with new thresholds (and ``cascade.try_cheaper_min_p`` when given) and a
    new ``calibration:`` section."""
    lines = _drop_top_section(text.splitlines(), "calibration")
    lines = _set_thresholds(lines, thresholds)
    if try_cheaper_min_p is not None:
        lines = _set_min_p(lines, try_cheaper_min_p)
    while lines and not lines[-1].strip():
        lines.pop()
    body = yaml.safe_dump({"calibration": calibration}, sort_keys=False, default_flow_style=None)
    header = "# Written by `tierroute calibrate`; `tierroute drift` compares live traffic with it."
    return "\n".join([*lines, "", header, body.rstrip("\n")]) + "\n"


def write_calibrated_policy(
    source: Path,
    out: Path,
    thresholds: dict[str, float],
    calibration: dict[str, object],
    try_cheaper_min_p: float | None = None,
) -> Policy:
    """Write the calibrated copy of ``source`` to ``out``; return the validated policy."""
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelingError(f"{source}: cannot read the policy: {exc}") from exc
    new_text = calibrated_policy_text(text, thresholds, calibration, try_cheaper_min_p)
    policy = parse_policy(new_text, source=str(out))
    moved = try_cheaper_min_p is not None and policy.cascade.try_cheaper_min_p != try_cheaper_min_p
    if policy.classifier.thresholds != thresholds or moved:
        raise LabelingError(
            f"{source}: the thresholds did not round-trip "
            f"(wrote {thresholds}, read {policy.classifier.thresholds}); edit the file by hand"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(new_text, encoding="utf-8")
    return policy


def _drop_top_section(lines: list[str], key: str) -> list[str]:
    out: list[str] = []
    skipping = False
    for line in lines:
        if _TOP_KEY.match(line):
            skipping = line.split(":", 1)[0].strip() == key
            if skipping:
                while out and out[-1].startswith("# Written by `tierroute calibrate`"):
                    out.pop()
        if not skipping:
            out.append(line)
    return out


def _block(lines: list[str], start: int, indent: int) -> int:
    """End (exclusive) of the block that starts after line ``start`` and is indented
    deeper than ``indent``; blank and comment lines inside belong to it."""
    end = start + 1
    last = start
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            if len(line) - len(line.lstrip()) <= indent:
                break
            last = end
        end += 1
    return last + 1


def _set_thresholds(lines: list[str], thresholds: dict[str, float]) -> list[str]:
    top = next((i for i, line in enumerate(lines) if re.match(r"^classifier\s*:", line)), None)
    new = {
        name: f"{value:.4f}".rstrip("0").rstrip(".") or "0" for name, value in thresholds.items()
    }
    if top is None:
        block = ["classifier:", "  strategy: threshold", "  thresholds:"]
        return [*lines, *block, *(f"    {k}: {v}" for k, v in new.items())]
    end = _block(lines, top, 0)
    for i in range(top + 1, end):
        match = _KEY_LINE.match(lines[i])
        if match and match["key"] == "thresholds":
            return _replace_block(lines, i, match, new)
    indent = _child_indent(lines, top, end)
    insert = [f"{indent}thresholds:", *(f"{indent}  {k}: {v}" for k, v in new.items())]
    return [*lines[: top + 1], *insert, *lines[top + 1 :]]


def _set_min_p(lines: list[str], value: float) -> list[str]:
    """``cascade.try_cheaper_min_p`` set to ``value`` (the line is added when absent)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".") or "0"
    top = next((i for i, line in enumerate(lines) if re.match(r"^cascade\s*:", line)), None)
    if top is None:
        return [*lines, "cascade:", f"  try_cheaper_min_p: {text}"]
    end = _block(lines, top, 0)
    for i in range(top + 1, end):
        match = _KEY_LINE.match(lines[i])
        if match and match["key"] == "try_cheaper_min_p":
            lines = list(lines)
            lines[i] = f"{match['indent']}try_cheaper_min_p: {text}{match['rest']}"
            return lines
    indent = _child_indent(lines, top, end)
    return [*lines[: top + 1], f"{indent}try_cheaper_min_p: {text}", *lines[top + 1 :]]


def _child_indent(lines: list[str], top: int, end: int) -> str:
    for line in lines[top + 1 : end]:
        if line.strip() and not line.strip().startswith("#"):
            return line[: len(line) - len(line.lstrip())]
    return "  "


def _replace_block(
    lines: list[str], at: int, match: re.Match[str], new: dict[str, str]
) -> list[str]:
    if match["value"].strip().startswith("{"):
        flow = "{" + ", ".join(f"{k}: {v}" for k, v in new.items()) + "}"
        return [
            *lines[:at],
            f"{match['indent']}thresholds: {flow}{match['rest']}",
            *lines[at + 1 :],
        ]
    indent = len(match["indent"])
    end = _block(lines, at, indent)
    out = list(lines[: at + 1])
    seen: set[str] = set()
    child = None
    for line in lines[at + 1 : end]:
        item = _KEY_LINE.match(line)
        if item and item["key"] in new:
            child = item["indent"]
            seen.add(item["key"])
            line = f"{item['indent']}{item['key']}: {new[item['key']]}{item['rest']}"
        elif item:
            continue  # a tier that the policy no longer thresholds
        out.append(line)
    prefix = child or " " * (indent + 2)
    out += [f"{prefix}{k}: {v}" for k, v in new.items() if k not in seen]
    return [*out, *lines[end:]]
