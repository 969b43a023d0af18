"""Single-message SQL look-alikes (points against, like router._sql_vocab.LOOKALIKE).

Requests that look like SQL work and are not (README rule): a BI tool's calculated field
(Tableau, Power BI, Looker Studio), ORM model or mapping configuration (EF Core's fluent API,
DbContext), a database server as a container among services (docker compose, helm,
Kubernetes) with no SQL work named, a library or migration-tool pick, converting
CSV/JSON/XML files, and database products' prices or licences. :func:`tool_words` drops
"es" (Elasticsearch) from a French or Spanish sentence ("Tu es un assistant qui écrit du
SQL"). Moved out of router._sql_context_vocab when the look-alike kinds were split for
speed (each kind's regex runs only when its literals are in the request).
"""

from __future__ import annotations

import re

from router._sql_vocab import DIALECTS

__all__ = ["lookalike", "lookalike_kind", "pricing", "tool_words"]

_HEAD = 400  # characters of the request that state its task

# (kind, pattern, literal groups, core): the look-alike kinds in the order they are tried at
# one position; every match of a kind's pattern holds a literal of each of its groups and a
# match of its core (a part that opens with a literal, which the regex engine scans for
# fast; "" for none).
_LOOKALIKE_SOURCES = (
    # a BI tool's calculated field or table calculation
    (
        "bi",
        r"\b(?:tableau|power\s+bi|looker\s+studio|qlik|data\s+studio)\b[^\n]{0,80}\b"
        r"(?:calculated\s+fields?|table\s+calc(?:ulation)?s?|lod\s+expressions?|measures?|"
        r"formulas?|dax)\b|\b(?:calculated\s+field|table\s+calc(?:ulation)?)s?\b",
        ("tableau power looker qlik studio calc", "calc lod measure formula dax"),
        r"calculated\s+field|table\s+calc|lod\s+expression|measure|formula|dax",
    ),
    # ORM model or mapping configuration
    (
        "orm",
        r"\b(?:ef\s+core|fluent\s+api|onmodelcreating|dbcontext|dbset|modelbuilder|"
        r"navigation\s+propert(?:y|ies)|data\s+annotations)\b",
        ("core fluent onmodelcreating dbcontext dbset modelbuilder navigation annotations",),
        r"ef\s+core|fluent\s+api|onmodelcreating|dbcontext|dbset|modelbuilder|"
        r"navigation\s+propert|data\s+annotations",
    ),
    # a database as a container among services (ninth and tenth passes): not SQL work
    (
        "infra",
        r"\bdocker[\s-]compose\b|\bcompose\s+file\b|\bhelm\b|\bstatefulsets?\b|"
        r"\bkubernetes\b|\bk8s\b|\boomkilled\b|\blvm\b|\blvextend\b|\bresize2fs\b|\brsync\b|"
        r"\bapt(?:-get)?\s+(?:-y\s+)?(?:install|upgrade|dist-upgrade|full-upgrade)\b|\bkept\s+back\b|"
        r"\blogrotate\b",
        (
            "compose helm statefulset kubernetes k8s oomkilled lvm lvextend resize2fs rsync apt "
            "kept logrotate",
        ),
        r"docker[\s-]compose|compose\s+file|helm|statefulset|kubernetes|k8s|oomkilled|lvm|"
        r"lvextend|resize2fs|rsync|apt(?:-get)?\s|kept\s+back|logrotate",
    ),
    # a library recommendation (README: "a library recommendation for SQL migration files")
    (
        "library",
        r"\b(?:recommend|suggest)(?:\s+me)?\s+(?:a|an|some|any|the\s+best|good)?\s*"
        r"(?:[\w-]+\s+){0,2}?(?:library|libraries|package|packages|crate|crates|gem|gems)\b"
        r"|\b(?:which|what|best)\s+(?:[\w-]+\s+){0,2}?(?:library|libraries|package|crate|gem)\s+"
        r"(?:for|to|should|would|do|is)\b"
        r"|\b(?:library|libraries|package|packages|crate|crates|gem|gems)\b[^.?!\n]{0,30}"
        r"\b(?:recommend|suggest)(?:ed|ion|ions)?\b",
        ("recommend suggest which what best", "librar package crate gem"),
        "",
    ),
    # a migration tool picked among others (ninth pass): "sqitch or atlas or dbmate ..."
    (
        "tools",
        r"\b(?:flyway|liquibase|sqitch|dbmate|golang-migrate|goose|alembic|atlas|skeema|"
        r"bytebase)\s+(?:vs\.?|versus|or|,)\s+(?:[\w-]+\s+){0,1}?(?:flyway|liquibase|sqitch|"
        r"dbmate|golang-migrate|goose|alembic|atlas|skeema|bytebase)\b",
        ("flyway liquibase sqitch dbmate migrate goose alembic atlas skeema bytebase",),
        r"(?:flyway|liquibase|sqitch|dbmate|migrate|goose|alembic|atlas|skeema|bytebase)\s+"
        r"(?:vs\.?|versus|or|,)",
    ),
    # converting files between CSV, JSON, XML, YAML
    (
        "files",
        r"\b(?:csv|json|xml|yaml|tsv|xlsx)\b[^\n]{0,80}\b(?:csv|json|xml|yaml|tsv|xlsx)"
        r"\s+files?\b",
        ("csv json xml yaml tsv xlsx", "file"),
        r"(?:csv|json|xml|yaml|tsv|xlsx)\s+files?\b",
    ),
)
_LOOKALIKES = tuple(
    (kind, re.compile(pattern), tuple(tuple(g.split()) for g in groups), re.compile(core))
    for kind, pattern, groups, core in _LOOKALIKE_SOURCES
)


def lookalike_kind(head: str) -> str | None:
    """The kind whose match starts first in ``head`` (the earlier kind on a tie), or None:
    what one search of the kinds' alternation (``|`` in ``_LOOKALIKE_SOURCES`` order) would
    name. A kind whose literal groups are not all in ``head``, or whose core is not in it,
    cannot match: its pattern is not run (the patterns try every position; a substring
    scan and the core's literal-led search are much cheaper)."""
    first, start = None, len(head) + 1
    for kind, pattern, groups, core in _LOOKALIKES:
        if all(any(w in head for w in group) for group in groups) and core.search(head):
            m = pattern.search(head)
            if m is not None and m.start() < start:
                first, start = kind, m.start()
    return first


# A database in a file conversion makes it SQL work ("load the CSV into a Postgres table").
_DATABASE = re.compile(
    r"\b(?:database|db|sql|mysql|postgres(?:ql)?|sqlite3?|oracle|tables?|insert|select)\b"
)


_BI_ORM_WORDS = frozenset(
    "tableau qlik looker dax onmodelcreating dbcontext dbset modelbuilder fluent calculated "
    "calc ef annotations navigation bi studio lod docker compose helm statefulset statefulsets "
    "kubernetes k8s oomkilled lvm lvextend resize2fs rsync apt apt-get kept logrotate".split()
)
_LIBRARY_WORDS = frozenset(
    "library libraries package packages crate crates gem gems flyway liquibase sqitch dbmate "
    "golang-migrate goose alembic atlas skeema bytebase".split()
)
_FILE_FORMATS = frozenset("csv json xml yaml tsv xlsx".split())


def lookalike(lower: str, words: frozenset[str]) -> bool:
    """The lower-cased request (``words``: its words) is a single-message SQL look-alike: a
    BI calculated field, ORM mapping configuration or a compose file that names no SQL
    ("what SQL does EF Core generate" stays SQL), a library or migration-tool pick, a
    CSV/JSON file conversion with no database in it."""
    if (
        words.isdisjoint(_BI_ORM_WORDS)
        and words.isdisjoint(_LIBRARY_WORDS)
        and not (_FILE_FORMATS & words and ("file" in words or "files" in words))
    ):
        return False  # none of the words every look-alike needs: skip the regex
    kind = lookalike_kind(lower[: 2 * _HEAD])
    if kind is None:
        return False
    if kind == "files":
        return not _DATABASE.search(lower)
    if kind in ("library", "tools"):
        return True
    if kind == "infra":  # a database server as a container: unless SQL work is asked for
        return not _SQL_WORK.search(lower)
    return not re.search(r"\bsql\b|n\+1", lower)


# SQL work named in a request about a database server's operations or prices ("postgres on
# kubernetes: this query got slow", "which is cheaper for this query").
_SQL_WORK = re.compile(
    r"\b(?:sql|quer(?:y|ies)|select|joins?|index(?:es)?|tables?|schemas?|explain|rows|"
    r"deadlocks?|transactions?|vacuum|procedures?|triggers?|views?|functions?)\b"
)
# Prices and licences of database products (tenth pass): "Aurora vs Cloud SQL: monthly
# price", "SQL Server Standard licensing per core".
_PRICING = re.compile(
    r"\b(?:pricing|prices?|cheapest|cheaper|licen[cs](?:e|es|ing)|per\s+core|tco|"
    r"monthly\s+(?:cost|price|bill))\b"
)


def pricing(lower: str, words: frozenset[str]) -> bool:
    """The lower-cased request asks about database products' prices or licences ("Aurora vs
    Cloud SQL, which is cheapest") and names no SQL work (product names aside)."""
    if words.isdisjoint(DIALECTS) or not _PRICING.search(lower):
        return False
    return not _SQL_WORK.search(lower.replace("sql", "_"))


_ES_CONTEXT = frozenset(
    "index indices cluster mapping mappings shard shards kibana dsl bulk analyzer ingest "
    "logstash elastic _search".split()
)


def tool_words(words: frozenset[str]) -> frozenset[str]:
    """``words`` without "es" when nothing else names Elasticsearch: "es" is also a French
    and Spanish word ("Tu es un assistant", "¿Qué es una clave primaria?")."""
    if "es" in words and words.isdisjoint(_ES_CONTEXT):
        return words - {"es"}
    return words
