"""SQL vocabulary in German, French, Spanish and Portuguese, read as English; CJK text
split into words.

"Wie lösche ich in Oracle doppelte Zeilen aus einer Tabelle, wenn es keinen
Primärschlüssel gibt?" is the English "delete duplicate rows from a table in Oracle without a
primary key": :func:`to_english` rewrites the database words (table, rows, column, primary
and foreign key, query, database, duplicate, delete) so the detector's English rules weigh
them; an engine name or a table still has to be there, as in English.
"""

from __future__ import annotations

import re

__all__ = ["FOREIGN_WORDS", "db_request", "has_stem", "spaced_cjk", "to_english"]

# English word: its foreign forms, "|"-separated (multi-word forms allowed).
_LEXICON = {
    "primary key": "primärschlüssel|primaerschluessel|clé primaire|cle primaire|"
    "clave primaria|chave primária|chave primaria",
    "foreign key": "fremdschlüssel|clé étrangère|cle etrangere|clave foránea|clave foranea|"
    "chave estrangeira",
    "databases": "datenbanken|bases de données|bases de datos|bancos de dados",
    "database": "datenbank|base de données|base de donnees|base de datos|banco de dados",
    "tables": "tabellen|tablas|tabelas",
    "table": "tabelle|tabla|tabela",
    "rows": "zeilen|datensätze|lignes|enregistrements|filas|registros|linhas",
    "row": "zeile|datensatz|ligne|fila|linha|registro",
    "columns": "spalten|colonnes|columnas|colunas",
    "column": "spalte|colonne|columna|coluna",
    "queries": "abfragen|requêtes|requetes|consultas",
    "query": "abfrage|requête|requete|consulta",
    "duplicate": "doppelte|doppelten|duplikate|doublons|duplicados|duplicadas|repetidos|repetidas",
    "delete": "lösche|löschen|loesche|supprimer|supprime|eliminar|elimino|borrar|excluir|apagar",
}
# tenth pass: Italian, Dutch and Polish forms
_MORE = {
    "table": "tabella|tabel|tabeli|tabelce",
    "rows": "righe|rijen|wiersze|wierszy",
    "columns": "colonne|kolommen|kolumny",
    "column": "colonna|kolom|kolumna",
    "query": "zapytanie|zapytania|interrogazione|zoekvraag",
    "primary key": "chiave primaria|primaire sleutel|klucz główny|klucz glowny",
    "database": "baza danych|bazie danych|bazy danych",
}
_FORMS = {
    form: english
    for lexicon in (_LEXICON, _MORE)
    for english, forms in lexicon.items()
    for form in forms.split("|")
}
# One word of every form: a request holding none of them is not rewritten.
FOREIGN_WORDS = frozenset(form.split()[-1] for form in _FORMS)
_FOREIGN = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _FORMS), key=len, reverse=True)) + r")\b"
)


# Languages whose words take suffixes (Turkish "tablolarim", Russian "таблице") or have no
# spaces (Korean "테이블에서", Japanese, Chinese, Arabic "وجدول"): stems, found inside words.
# Turkish and Russian stems must start a word; the others may sit anywhere.
_STEMS = {
    "table": r"\btablo\w*|\bтаблиц\w*|테이블|テーブル|数据表|张表|個表|جدول",
    "query": r"\bsorgu\w*|\bзапрос\w*|쿼리|クエリ|查询|استعلام",
    "database": r"\bveritaban\w*|\bбаз\w*\s+данных|데이터베이스|データベース|数据库|"
    r"قاعدة\s+(?:ال)?بيانات",
    "column": r"\bs[üu]tun\w*|\bстолб\w*|컬럼|칼럼|カラム|字段|عمود|أعمدة",
    "primary key": r"\bпервичн\w*\s+ключ\w*|기본\s?키|主キー|主键|مفتاح\s+أساسي",
    "foreign key": r"\bвнешн\w*\s+ключ\w*|외래\s?키|外部キー|外键",
    "oracle database": r"오라클|オラクル",  # "Oracle" alone is ambiguous in English
    "postgres": r"\bпостгр\w*|포스트그레\w*|ポスグレ",
    # fifteenth pass: Russian normal forms and schemas
    "normal form": r"\bнормальн\w*\s+форм\w*",
    "normalize": r"\bнормализ\w*",
    "schema": r"\bсхем[уаые]\b",
}
_STEM_ENGLISH = list(_STEMS)
_STEM_RX = re.compile("|".join(f"(?P<s{i}>{rx})" for i, rx in enumerate(_STEMS.values())))
# Every stem match holds one of these literals: a request with none of them (nearly all)
# skips the stem search, which tries every position.
_STEM_LITERALS = tuple(
    "tablo sorgu veritaban sütun sutun таблиц запрос баз столб первичн внешн постгр нормал схем "
    "테이블 쿼리 "
    "데이터베이스 컬럼 칼럼 기본 외래 오라클 포스트그레 テーブル クエリ データベース カラム 主キー "
    "外部キー オラクル ポスグレ 数据表 张表 個表 查询 数据库 字段 主键 外键 "
    "جدول استعلام قاعدة عمود أعمدة مفتاح".split()
)


_LATIN_STEMS = ("tablo", "sorgu", "veritaban", "sütun", "sutun")
# Characters of the Cyrillic, Arabic, Japanese, Chinese and Korean blocks.
_SCRIPTS = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


def has_stem(lower: str) -> bool:
    """The lower-cased ``lower`` holds a stem of ``_STEMS`` ("tablolarim", "таблице",
    "테이블에서")."""
    literals = _STEM_LITERALS if _SCRIPTS.search(lower) else _LATIN_STEMS
    return any(lit in lower for lit in literals) and bool(_STEM_RX.search(lower))


def _stem_english(m: re.Match[str]) -> str:
    return f" {_STEM_ENGLISH[int(str(m.lastgroup)[1:])]} "


def to_english(text: str) -> str:
    """``text`` (lower case) with its German, French, Spanish, Portuguese, Italian, Dutch and
    Polish database words in English ("doppelte Zeilen aus einer Tabelle" -> "duplicate rows
    aus einer table"), and the stems of Turkish, Russian, Korean, Japanese, Chinese and Arabic
    ones ("sorguyu" -> " query ")."""
    out = _FOREIGN.sub(lambda m: _FORMS[m.group(0)], text.lower())
    return _STEM_RX.sub(_stem_english, out) if has_stem(out) else out


# Chinese, Japanese and Korean text has no spaces, and its characters are word characters,
# so "请帮我写一个SQL查询" would be one word and hide "SQL" (ninth pass). Each run of them is
# set apart by spaces (the CJK symbols and full-width punctuation blocks included).
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]+")


def spaced_cjk(text: str) -> str:
    """``text`` with spaces around its runs of CJK characters (unchanged when it has none)."""
    if text.isascii() or not _CJK.search(text):
        return text
    return _CJK.sub(lambda m: f" {m.group(0)} ", text)


# What makes a foreign request about a table an SQL request without an engine name
# (fourteenth pass): a word for duplicates, a query, the database or a column, or JOIN or
# WHERE or GROUP (BY), beside a table ("la table ... doublons", "数据库 ... 两张表", "mein
# LEFT JOIN");
# "Welche Tabelle zeigt die Zeilen ..." (a table and rows only) is not.
_STRONG = frozenset(
    "duplicate query queries database databases column columns schema normalize normal".split()
)


def db_request(words: frozenset[str]) -> bool:
    """``words`` (read as English) hold strong database words, or one beside a table."""
    strong = len(words & _STRONG) + 2 * (not words.isdisjoint(("join", "where", "group")))
    return strong >= 2 or (strong == 1 and not words.isdisjoint(("table", "tables")))
