"""The labeled prompt sets that bench/detector_eval.py measures the detectors on.

Each ``*_examples`` loader reads the shared data (../shared/data) or the hand-made files
in tests/router/data and returns ``Example`` rows; ``ROWS`` names them in table order.
``OTHER_SETS`` lists the small_models7 files used for the code and math detectors.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data"
TEST_DATA = REPO / "tests" / "router" / "data"
LABELS = TEST_DATA / "sql_labels_sharegpt_arena.jsonl"
NL_REQUESTS = TEST_DATA / "sql_nl_requests.txt"
CONVERSATIONS = REPO / "tests" / "data" / "sql_conversations"
CONV_SHAREGPT = CONVERSATIONS / "sharegpt_labels.jsonl"
CONV_HANDWRITTEN = CONVERSATIONS / "handwritten.jsonl"
# The probe and tuning sets of issue 14, by the name ``conversation_examples`` and
# ``detector_eval --probes`` use, in the order --probes prints them. How each was written
# and which pass read it: tests/data/sql_conversations/README.md.
CONVERSATION_FILES: dict[str, Path] = {
    name: CONVERSATIONS / file
    for name, file in (
        ("probes", "probes_fresh.jsonl"),  # a generalisation check, tuned on since
        ("probes2", "probes_fresh2.jsonl"),  # written before the grey-zone scorer
        ("probes3", "probes_fresh3.jsonl"),  # written before the fourth pass
        ("probes4", "probes_fresh4.jsonl"),  # the first outsider, tuned on by the context pass
        ("dev_extra", "dev_extra.jsonl"),  # tuning material by category (fifth pass)
        ("dev_checks", "dev_checks.jsonl"),  # blind category checks, then tuned on
        ("dev_sixth", "dev_sixth.jsonl"),  # tuning material (sixth pass)
        ("probes5", "probes_fresh5.jsonl"),  # the first outsider's second set
        ("probes6", "probes_fresh6.jsonl"),  # written after the fifth pass
        ("probes7", "probes_fresh7.jsonl"),  # likewise, after probes_fresh6
        ("probes8", "probes_fresh8.jsonl"),  # the second outsider, tuned on by the seventh
        ("dev_seventh", "dev_seventh.jsonl"),  # tuning material (seventh pass)
        # From here on each outsider's set was measured blind, then its errors were read by
        # the next pass, whose tuning material follows it.
        ("probes9", "probes_fresh9.jsonl"),
        ("dev_eighth", "dev_eighth.jsonl"),
        ("probes10", "probes_fresh10.jsonl"),
        ("dev_ninth", "dev_ninth.jsonl"),
        ("probes11", "probes_fresh11.jsonl"),
        ("dev_tenth", "dev_tenth.jsonl"),
        ("probes12", "probes_fresh12.jsonl"),  # long pastes
        ("dev_eleventh", "dev_eleventh.jsonl"),
        ("probes13", "probes_fresh13.jsonl"),  # long pastes
        ("dev_twelfth", "dev_twelfth.jsonl"),
        ("probes14", "probes_fresh14.jsonl"),
        ("dev_thirteenth", "dev_thirteenth.jsonl"),
        ("probes15", "probes_fresh15.jsonl"),
        ("dev_fourteenth", "dev_fourteenth.jsonl"),
        ("probes16", "probes_fresh16.jsonl"),
        ("dev_fifteenth", "dev_fifteenth.jsonl"),
        ("probes17", "probes_fresh17.jsonl"),  # the tenth outsider: never tuned on
    )
}
SHAREGPT = DATA / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"

QUESTION_TEMPLATES = (
    "{sql}\n\nWhy is this slow?",
    "Can you explain what this query does?\n\n{sql}",
    "{sql}\n\nThis returns duplicate rows. How do I fix it?",
    "Rewrite this so it is easier to read:\n{sql}",
    "I get an error when I run this: {sql}",
)
DEFOG_TEMPLATE = (
    "### Task\nGenerate a SQL query to answer [QUESTION]{question}[/QUESTION]\n\n"
    "### Instructions\n{instructions}\n\n"
    "### Database Schema\nThe query will run on a database with the following schema:\n"
    "{schema}\n\n### Answer\nGiven the database schema, here is the SQL query that answers "
    "[QUESTION]{question}[/QUESTION]\n[SQL]\n"
)


@dataclass(frozen=True)
class Example:
    key: str  # stable id; its hash picks the dev/test half
    text: str
    sql: bool
    messages: tuple[Mapping[str, Any], ...] = ()  # a conversation: detected as a whole


def data_available() -> bool:
    return (DATA / "spider_dev" / "tables.json").is_file()


# --- loading ---------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _defog_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((DATA / "defog_sql_eval").glob("*.csv")):
        if path.name != "idk.csv":
            with path.open(encoding="utf-8", newline="") as f:
                rows.extend(csv.DictReader(f))
    return rows


def _spider_rows() -> list[dict[str, str]]:
    return [
        {k: str(v) for k, v in r.items()}
        for r in read_jsonl(DATA / "spider_dev" / "spider_dev_questions.jsonl")
    ]


def _gold_sql() -> Iterator[tuple[str, str]]:
    """(split key, SQL) for every distinct gold query."""
    seen: set[str] = set()
    for r in _spider_rows():
        if r["query"] not in seen:
            seen.add(r["query"])
            yield "spider:" + r["query"], r["query"]
    for r in _defog_rows():
        if r["query"] not in seen:
            seen.add(r["query"])
            yield "defog:" + r["question"], r["query"]


def sql_text_examples(with_question: bool) -> list[Example]:
    out = []
    for i, (key, sql) in enumerate(_gold_sql()):
        text = (
            QUESTION_TEMPLATES[i % len(QUESTION_TEMPLATES)].format(sql=sql)
            if with_question
            else sql
        )
        out.append(Example(key, text, True))
    return out


_SPIDER_TYPES = {"number": "INT", "text": "TEXT", "time": "DATETIME", "boolean": "BOOLEAN"}


def _spider_schemas() -> dict[str, tuple[str, str]]:
    """db_id -> (CREATE TABLE statements, compact "# table(col, ...)" lines)."""
    out = {}
    for db in json.loads((DATA / "spider_dev" / "tables.json").read_text(encoding="utf-8")):
        tables: list[list[str]] = [[] for _ in db["table_names_original"]]
        keys = set(db["primary_keys"]) if isinstance(db["primary_keys"], list) else set()
        for i, ((t, col), typ) in enumerate(
            zip(db["column_names_original"], db["column_types"], strict=True)
        ):
            if t >= 0:
                pk = " PRIMARY KEY" if i in keys else ""
                tables[t].append(f"  {col} {_SPIDER_TYPES.get(typ, 'TEXT')}{pk}")
        ddl = "\n".join(
            f"CREATE TABLE {name} (\n" + ",\n".join(cols) + "\n);"
            for name, cols in zip(db["table_names_original"], tables, strict=True)
        )
        compact = "\n".join(
            f"# {name}({', '.join(c.split()[0] for c in cols)})"
            for name, cols in zip(db["table_names_original"], tables, strict=True)
        )
        out[db["db_id"]] = (ddl, compact)
    return out


def spider_prompt_examples() -> list[Example]:
    """Spider questions as text-to-SQL apps send them, three templates in rotation."""
    schemas = _spider_schemas()
    out = []
    for i, r in enumerate(_spider_rows()):
        ddl, compact = schemas[r["db_id"]]
        q = r["question"]
        text = (
            f"{ddl}\n\n-- Using valid SQLite, answer the following question for the tables "
            f"provided above.\n-- {q}\nSELECT",
            f"### SQLite SQL tables, with their properties:\n#\n{compact}\n#\n### {q}\nSELECT",
            f"Given the database schema below, answer the question.\n\n{ddl}\n\nQuestion: {q}",
        )[i % 3]
        out.append(Example("spider:" + r["query"], text, True))
    return out


def _schema_from_sql(sql: str) -> str:
    """defog's schemas are not in the data set: rebuild tables and columns the query uses."""
    import re

    tables: dict[str, set[str]] = {}
    alias: dict[str, str] = {}
    for m in re.finditer(
        r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?", sql, re.I
    ):
        tables.setdefault(m.group(1), set())
        if m.group(2) and m.group(2).upper() not in {
            "WHERE",
            "ON",
            "JOIN",
            "GROUP",
            "ORDER",
            "LEFT",
            "INNER",
        }:
            alias[m.group(2)] = m.group(1)
    for m in re.finditer(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b", sql):
        owner = alias.get(m.group(1), m.group(1))
        if owner in tables:
            tables[owner].add(m.group(2))
    return "\n".join(
        f"CREATE TABLE {t} (\n" + ",\n".join(f"  {c} TEXT" for c in sorted(cols) or ["id"]) + "\n);"
        for t, cols in tables.items()
    )


def defog_prompt_examples() -> list[Example]:
    out, seen = [], set()
    for r in _defog_rows():
        if r["question"] in seen:
            continue
        seen.add(r["question"])
        text = DEFOG_TEMPLATE.format(
            question=r["question"],
            instructions=r.get("instructions") or "",
            schema=_schema_from_sql(r["query"]),
        )
        out.append(Example("defog:" + r["question"], text, True))
    return out


def nl_request_examples() -> list[Example]:
    lines = NL_REQUESTS.read_text(encoding="utf-8").splitlines()
    return [Example("nl:" + s, s, True) for s in (line.strip() for line in lines) if s]


def conversation_examples(source: str) -> list[Example]:
    """The conversational set (tests/data/sql_conversations): ``sharegpt`` (labeled ShareGPT
    prompts, text read from the shared data), a probe or tuning set named in
    ``CONVERSATION_FILES``, else ``handwritten`` (conversations we wrote)."""
    if source == "sharegpt":
        prompts = {str(r["id"]): str(r["prompt"]) for r in read_jsonl(SHAREGPT)}
        out = []
        for r in read_jsonl(CONV_SHAREGPT):
            rid, text = str(r["id"]), prompts[str(r["id"])]
            message = {"role": "user", "content": text}
            key = "sharegpt:" + rid.rsplit("_", 1)[0]
            out.append(Example(key, text, bool(r["sql"]), (message,)))
        return out
    out = []
    for r in read_jsonl(CONVERSATION_FILES.get(source, CONV_HANDWRITTEN)):
        messages = r["messages"]
        assert isinstance(messages, list)
        text = str(messages[-1]["content"])
        key = "conv:" + json.dumps(messages, sort_keys=True)
        out.append(Example(key, text, bool(r["sql"]), tuple(messages)))
    return out


def sharegpt_examples() -> list[Example]:
    """Every ShareGPT first turn (the traffic mix), unlabeled."""
    return [
        Example("sharegpt:" + str(r["id"]), str(r["prompt"]), False) for r in read_jsonl(SHAREGPT)
    ]


def sharegpt_arena_examples() -> list[Example]:
    labels = {str(r["id"]): bool(r["sql"]) for r in read_jsonl(LABELS)}
    out = []
    for r in read_jsonl(SHAREGPT):
        rid = str(r["id"])
        # Turns of one conversation share a key (the id before the last "_").
        out.append(
            Example("sharegpt:" + rid.rsplit("_", 1)[0], str(r["prompt"]), labels.get(rid, False))
        )
    for version in ("v0.1", "v2.0"):
        path = DATA / "arena_hard_questions" / f"arena-hard-{version}_question.jsonl"
        for r in read_jsonl(path):
            uid = str(r["uid"])
            out.append(Example("arena:" + uid, str(r["prompt"]), labels.get(uid, False)))
    return out


def idk_examples() -> list[Example]:
    with (DATA / "defog_sql_eval" / "idk.csv").open(encoding="utf-8", newline="") as f:
        return [Example("idk:" + r["question"], r["question"], False) for r in csv.DictReader(f)]


def bare_question_examples() -> list[Example]:
    out = [Example("spider:" + r["query"], r["question"], True) for r in _spider_rows()]
    seen = set()
    for r in _defog_rows():
        if r["question"] not in seen:
            seen.add(r["question"])
            out.append(Example("defog:" + r["question"], r["question"], True))
    return out


# name, loader, part of "overall"
ROWS: tuple[tuple[str, Callable[[], list[Example]], bool], ...] = (
    ("sql_text", lambda: sql_text_examples(False), True),
    ("sql_text_question", lambda: sql_text_examples(True), True),
    ("text2sql_spider", spider_prompt_examples, True),
    ("text2sql_defog", defog_prompt_examples, True),
    ("nl_requests", nl_request_examples, True),
    ("sharegpt_arena", sharegpt_arena_examples, True),
    ("defog_idk", idk_examples, True),
    ("bare_questions", bare_question_examples, False),
)
REAL_TRAFFIC = ("sharegpt_arena", "defog_idk")
# The conversational set, read through the conversation-level scan (router._conversation).
CONVERSATION_ROWS: tuple[tuple[str, Callable[[], list[Example]]], ...] = (
    ("conv_sharegpt", lambda: conversation_examples("sharegpt")),
    ("conv_handwritten", lambda: conversation_examples("handwritten")),
)


# --- other detectors: code and math sets --------------------------------------------------


def small_models(name: str) -> list[str]:
    rows = json.loads((DATA / "small_models7" / name).read_text(encoding="utf-8"))
    return [str(r["question"]) for r in rows]


OTHER_SETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "code",
        "positive",
        ("humaneval_test.json", "humaneval_train.json", "mbpp.json", "javascript.json"),
    ),
    ("math", "positive", ("gsm8k-train.json", "MATH_prealgebra.json")),
    ("code", "general", ("arc_challenge_test.json",)),
    ("math", "general", ("arc_challenge_test.json",)),
)
