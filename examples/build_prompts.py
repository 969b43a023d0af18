"""Rebuild examples/prompts.jsonl: a small, varied prompt sample for `make demo`.

Sources (licenses allow copying small samples): RouterBench test rows (MIT),
Arena-Hard v2.0 (Apache-2.0), defog sql-eval (Apache-2.0), plus hand-written
prompts. ShareGPT (no license) and Spider (CC BY-SA) are not copied.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from classifier import read_routerbench, shared_data_dir

HAND_WRITTEN = [
    ("hand", "What is the capital of France?"),
    ("hand", "Translate 'good morning, see you tomorrow' into Spanish."),
    ("hand", "SELECT name FROM users WHERE id = 3; why is this slow?"),
    ("hand", "Write a query that returns the top 10 customers by total revenue last quarter."),
    ("hand", "My email is jane.doe@example.com, summarise my last three orders."),
    (
        "hand",
        "Prove that there are infinitely many primes p such that p + 2 is also prime, "
        "or explain precisely why this is still open and what the strongest known results are.",
    ),
]

# defog's sqlcoder prompt, as text-to-SQL apps send it (schema left out for brevity).
DEFOG_TEMPLATE = (
    "### Task\nGenerate a SQL query to answer [QUESTION]{question}[/QUESTION]\n\n"
    "### Answer\nGiven the database schema, here is the SQL query that "
    "[QUESTION]{question}[/QUESTION]\n[SQL]\n"
)


def main() -> None:
    data = shared_data_dir()
    rows: list[dict[str, str]] = [{"source": s, "prompt": p} for s, p in HAND_WRITTEN]
    bench = list(read_routerbench("test", data))
    for source in ("arc-challenge", "mbpp", "winogrande"):
        picked = [r for r in bench if r.source == source][7::97][:3]
        rows += [{"source": f"routerbench/{source}", "prompt": r.prompt} for r in picked]
    arena = (data / "arena_hard_questions" / "arena-hard-v2.0_question.jsonl").read_text()
    for line in arena.splitlines()[::150][:5]:
        rows.append({"source": "arena-hard-v2", "prompt": json.loads(line)["prompt"]})
    with (data / "defog_sql_eval" / "instruct_basic_postgres.csv").open(newline="") as handle:
        for record in list(csv.DictReader(handle))[:3]:
            prompt = DEFOG_TEMPLATE.format(question=record["question"])
            rows.append({"source": "defog-sql", "prompt": prompt})
    out = Path(__file__).with_name("prompts.jsonl")
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"wrote {len(rows)} prompts to {out}")  # noqa: T201


if __name__ == "__main__":
    main()
