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

__all__ = ["FOREIGN_WORDS", "spaced_cjk", "to_english"]

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
_FORMS = {form: english for english, forms in _LEXICON.items() for form in forms.split("|")}
# One word of every form: a request holding none of them is not rewritten.
FOREIGN_WORDS = frozenset(form.split()[-1] for form in _FORMS)
_FOREIGN = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _FORMS), key=len, reverse=True)) + r")\b"
)


def to_english(text: str) -> str:
    """``text`` (lower case) with its German, French, Spanish and Portuguese database words
    in English ("doppelte Zeilen aus einer Tabelle" -> "duplicate rows aus einer table")."""
    return _FOREIGN.sub(lambda m: _FORMS[m.group(0)], text.lower())


# Chinese, Japanese and Korean text has no spaces, and its characters are word characters,
# so "请帮我写一个SQL查询" would be one word and hide "SQL" (ninth pass). Each run of them is
# set apart by spaces (the CJK symbols and full-width punctuation blocks included).
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]+")


def spaced_cjk(text: str) -> str:
    """``text`` with spaces around its runs of CJK characters (unchanged when it has none)."""
    if text.isascii() or not _CJK.search(text):
        return text
    return _CJK.sub(lambda m: f" {m.group(0)} ", text)
