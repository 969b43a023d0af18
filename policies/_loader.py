"""Load policies from YAML and report every problem as ``FILE:LINE: field.path: message``.

Line numbers come from PyYAML's node marks: the document is composed into a node
tree once, and each dotted field path that pydantic (or a cross-field check) names
is looked up in that tree; the deepest path that exists gives the line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from policies._errors import PolicyError, PolicyProblem
from policies._model import Policy

__all__ = [
    "default_policy",
    "default_policy_path",
    "field_line_finder",
    "load_policy",
    "parse_policy",
]

_DEFAULT_POLICY = Path(__file__).with_name("default.yaml")

Path_ = tuple[str | int, ...]


def default_policy_path() -> Path:
    """The policy that ships inside the package (points at the simulated backends)."""
    return _DEFAULT_POLICY


def default_policy() -> Policy:
    return load_policy(_DEFAULT_POLICY)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise :class:`PolicyError` listing every problem."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(
            [PolicyProblem(source, None, "", f"cannot read: {exc.strerror}")]
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = PolicyProblem(source, line, "", f"invalid UTF-8 at byte {exc.start}")
        raise PolicyError([problem]) from exc
    return parse_policy(text, source=source)


def parse_policy(text: str, *, source: str = "<string>") -> Policy:
    """Validate policy YAML text; ``source`` is used in error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        message = f"YAML syntax error: {getattr(exc, 'problem', None) or exc}"
        raise PolicyError([PolicyProblem(source, line, "", message)]) from exc
    if node is None:
        raise PolicyError([PolicyProblem(source, 1, "", "empty policy file")])
    lines: dict[Path_, int] = {}
    problems = [PolicyProblem(source, ln, field, msg) for field, ln, msg in _index(node, (), lines)]
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        found = type(data).__name__
        raise PolicyError([PolicyProblem(source, 1, "", f"expected a mapping, got {found}")])
    try:
        policy = Policy.model_validate(data, context={"defer_cross_checks": True})
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            field = ".".join(str(part) for part in loc)
            problems.append(PolicyProblem(source, _line_of(loc, lines), field, error["msg"]))
        raise PolicyError(problems) from exc
    for field, message in policy.cross_reference_problems():
        loc = tuple(int(p) if p.isdigit() else p for p in field.split("."))
        problems.append(PolicyProblem(source, _line_of(loc, lines), field, message))
    if problems:
        raise PolicyError(problems)
    return policy


def field_line_finder(text: str) -> Callable[[str], int | None]:
    """``line(field)``: the line of a dotted field path (``tiers.0.deployments.1.model``)
    in policy YAML ``text``, or of its deepest part that exists (None if none does)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Path_, int] = {}
    if node is not None:
        for _ in _index(node, (), lines):
            pass

    def line(field: str) -> int | None:
        loc = tuple(int(p) if p.isdigit() else p for p in field.split(".") if p)
        return _line_of(loc, lines)

    return line


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Iterator[tuple[str, int, str]]:
    """Record the line of every path; yield (field, line, message) for duplicate keys."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                field = ".".join(str(p) for p in (*path, key))
                yield field, key_node.start_mark.line + 1, "duplicate key"
            seen.add(key)
            yield from _index(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _index(item, (*path, i), lines)


def _line_of(loc: Path_, lines: dict[Path_, int]) -> int | None:
    """Line of the deepest prefix of ``loc`` that exists in the YAML document."""
    for end in range(len(loc), -1, -1):
        prefix = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if prefix in lines:
            return lines[prefix]
    return None
