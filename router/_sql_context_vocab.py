"""When the conversation around a request stops making it SQL.

``router._conversation`` lets a system prompt or an earlier turn make a short follow-up SQL
("now only 2023", "why?"). These cues decide when it must not:

* :func:`changes_topic`: the request is its own non-SQL task (a haiku, a Slack message or
  an email, a unit conversion, a book or film recommendation, another tool's schema or
  mapping: "now as a mongoose schema", "generate an elasticsearch index mapping for this",
  an explicit "unrelated, ..." or "enough SQL for today"), so neither the system prompt nor
  earlier turns make it SQL, in either mode;
* :func:`sets_other_task` / :func:`asks_for_sql`: a system prompt that sets a non-SQL task
  ("You write job ads", "Tu es un traducteur. Traduis ...", "Summarise what the user
  sends") makes the database words of the user's message the task's material, unless the
  user asks for SQL itself ("write me a query that ...").

Single-message look-alikes (a BI calculated field, ORM mapping, a library pick...) are in
router._sql_lookalikes.
"""

from __future__ import annotations

import functools
import re

from router._sql_followup import artifact_task, other_artifact

__all__ = [
    "STORE_WORDS",
    "asks_for_sql",
    "changes_topic",
    "lock_error",
    "may_name_tool",
    "other_tool_task",
    "sets_other_task",
    "without_leaving_cue",
]

_HEAD = 400  # characters of the request that state its task

# --- a clear topic change in the request ---------------------------------------------------
# Other stores, ORMs, dataframes and spreadsheets ("now do it in pandas"), and formats whose
# schema or types a DDL can be turned into ("TypeScript types for this").
_STORES = (
    r"(?:mongoose|mongo(?:db)?|elasticsearch|elastic\s+search|opensearch|firestore|firebase|"
    r"dynamodb|cassandra|redis|couchbase|neo4j|cypher|graphql|prisma|typeorm|sequelize|"
    r"mikro-?orm|drizzle|django|sqlalchemy|hibernate|jpa|doctrine|ef\s+core|entity\s+framework|"
    r"eloquent|activerecord|gorm|pandas|polars|pyspark|dplyr|excel|google\s+sheets|airtable|"
    r"power\s+bi|tableau)"
)
# The first word of every spelling of a store in _STORES ("ef" of "ef core"): in
# _OTHER_TOOL_TASK a store stands between whitespace, so it is one of the text's
# whitespace-split words.
STORE_WORDS = frozenset(
    "mongoose mongo mongodb elasticsearch elastic opensearch firestore firebase dynamodb "
    "cassandra redis couchbase neo4j cypher graphql prisma typeorm sequelize mikro-orm mikroorm "
    "drizzle django sqlalchemy hibernate jpa doctrine ef entity eloquent activerecord gorm "
    "pandas polars pyspark dplyr excel google airtable power tableau".split()
)
_FORMATS = r"(?:json|yaml|protobuf|avro|zod|pydantic|typescript|openapi|swagger)"
# Said outright: "unrelated, ...", "enough SQL for today", "different topic:".
_LEAVING = (  # not "never mind" ("never mind, make it faster" stays SQL)
    r"\b(?:unrelated|off[- ]topic|change\s+of\s+(?:the\s+)?subject|"
    r"(?:different|new|separate|other)\s+(?:topic|subject)|(?:totally|completely|entirely)\s+"
    r"(?:unrelated|(?:different|new|separate)\s+(?:q|question|topic|subject|thing))|"
    r"enough\s+(?:sql|databases?|queries|of\s+(?:that|this|sql))"
    r"(?:\s+for\s+(?:today|now|tonight))?|enough\s+for\s+today|forget\s+(?:about\s+)?"
    r"(?:the\s+)?(?:sql|databases?)|switching\s+gears|on\s+another\s+note|"
    # the user says the SQL is not the problem (thirteenth pass)
    r"the\s+(?:query|sql|database|db)\s+(?:isn'?t|is\s+not)\s+the\s+(?:problem|issue)|"
    r"(?:it'?s|this\s+is)\s+not\s+an?\s+(?:sql|query|database|db)\s+(?:problem|issue)|"
    # the same in other languages (ninth pass): "autre question :", "andere Frage:", "换个话题"
    r"autre\s+(?:question|chose|sujet)|changement\s+de\s+sujet|rien\s+à\s+voir|andere\s+"
    r"(?:frage|sache|thema)|anderes\s+thema|themenwechsel|otra\s+(?:pregunta|cosa)|otro\s+tema|"
    r"cambiando\s+de\s+tema|cambio\s+de\s+tema|outra\s+(?:pergunta|coisa)|outro\s+assunto|"
    r"mudando\s+de\s+assunto|altra\s+domanda|un'?altra\s+cosa|cambiando\s+argomento|"
    r"другой\s+вопрос|другая\s+тема|кстати)\b|换个话题|另外问一下|另一个问题|顺便问一下|"
    r"別の質問|話は変わ"
)
_LEAVING_RX = re.compile(_LEAVING)
_TOPIC_CHANGE = re.compile(
    _LEAVING +
    # creative writing
    r"|\b(?:haiku|poem|limerick|sonnet|lyrics|rap\s+verse|short\s+story|bedtime\s+story|"
    r"joke)s?\b"
    # a message, email or note to people (not "a custom error message in the trigger")
    r"|\b(?:write|draft|compose|prepare|send)\s+(?:me\s+|up\s+)?(?:a|an|the|my|our|some)?\s*"
    r"(?!(?:[\w-]+\s+){0,2}(?:error|exception|log|validation|trigger|procedure|function|job)\s)(?:[\w-]+\s+){0,3}?"
    r"(?:message|e-?mail|slack\s+(?:message|post|note|update)|memo|letter|announcement|tweet|"
    r"linkedin\s+post|blog\s+post|status\s+update|standup\s+update|release\s+notes?|"
    r"thank[- ]you\s+note|note\s+to)\b"
    r"(?!\s+(?:table|column|field|queue|id|model|address|validation|format))"
    # editing a piece of prose, or a deliverable for people (eighth pass): "proofread my out
    # of office", "give me 3 talking points", "a slide outline", "a friendly apology email"
    r"|\b(?:rephrase|reword|proof-?read|polish|paraphrase)\b(?![^.?!\n]{0,40}\b(?:quer(?:y|ies)|"
    r"sql|statements?|procedures?|views?|index(?:es)?|triggers?|functions?)\b)"
    r"|\b(?:talking\s+points|slide\s+(?:outline|deck)|(?:apology|thank[- ]you|follow[- ]up)\s+"
    r"(?:e-?mail|note|message|letter)|out[- ]of[- ]office)\b"
    # a unit conversion
    r"|\b(?:celsius|fahrenheit|kelvin)\b|\bconvert\s+[\d.,]+\s*(?:°|degrees?\b|kg\b|lbs?\b|"
    r"pounds\b|miles?\b|km\b|kilomet|feet\b|ft\b|inch|cm\b|met(?:er|re)s?\b|ounces?\b|oz\b|"
    r"gallons?\b|lit(?:er|re)s?\b|cups?\b|mph\b|usd\b|eur\b|dollars\b|euros\b)"
    # a recommendation of something that is not software
    # (not "suggest an index for the books table")
    r"|\b(?:recommend|suggest)(?:\s+me)?\s+(?:a|an|some|any|\d+)?\s*(?:good\s+|great\s+|nice\s+)?"
    r"(?!(?:[\w-]+\s+){0,4}?(?:index|key|query|table|column|schema|join|view)\b)"
    r"(?:[\w-]+\s+){0,4}?(?:books?|novels?|movies?|films?|tv\s+(?:shows?|series)|"
    r"documentar(?:y|ies)|(?:documentary|netflix|anime)\s+series|podcasts?|restaurants?|"
    r"recipes?|video\s+games?|board\s+games?|albums?|songs?|gifts?|hotels?|destinations?)\b"
    r"(?!\s+(?:table|column|id|schema))"
    r"|\b(?:book|movie|film|podcast|restaurant|recipe)\s+recommendations?\b"
    # another tool's schema, mapping or model built from the conversation's schema
    r"|\b" + _STORES + r"\s+(?:[\w.-]+\s+){0,2}?(?:schemas?|mappings?|models?|entit(?:y|ies)|"
    r"index(?:es)?|collections?|documents?|class(?:es)?|interfaces?|types|structs?|"
    r"data\s*frames?|formulas?|equivalent|version)\b"
    r"|\b" + _FORMATS + r"\s+(?:[\w-]+\s+){0,2}?(?:schemas?|models?|class(?:es)?|interfaces?|"
    r"types|structs?|equivalent)\b"
    r"|\bschema\.prisma\b"  # Prisma's schema file (ninth pass)
    r"|\b(?:now|instead|same\s+thing|redo\s+it|do\s+it|rewrite\s+it|write\s+it|the\s+same)\b"
    r"[^.?!\n]{0,30}\b(?:in|with|using|as|for)\s+(?:an?\s+)?" + _STORES + r"\b"
)


# --- another tool's code or config as the task (README: "write another tool's code or
# config from a DDL"): a store's schema or an ORM's models, infrastructure code ----------------
_OTHER_TOOL_TASK = re.compile(
    r"\b(?:write|give|generate|create|make|produce|need|want|build)\s+(?:me\s+|us\s+)?"
    r"(?:(?!from\b|tables?\b|sql\b|quer)[\w-]+\s+){0,3}?" + _STORES + r"\s+(?:[\w.-]+\s+){0,2}?"
    r"(?:schemas?|models?|mappings?|entit(?:y|ies)|collections?|documents?|class(?:es)?|"
    r"validators?|equivalent)\b"
    r"|\b(?:into|to|as)\s+(?:an?\s+|the\s+)?(?:equivalent\s+)?" + _STORES + r"\s+"
    r"(?:schemas?|models?|mappings?|entit(?:y|ies)|collections?|documents?|class(?:es)?)\b"
    # another language's types or an API schema of a pasted table (tenth pass): "give me
    # Kotlin data classes matching this table", "write zod schemas and TypeScript types"
    r"|\b(?:write|give|generate|create|make|produce|need|want|build)\s+(?:me\s+|us\s+)?"
    r"(?:[\w-]+\s+){0,3}?(?:kotlin|swift|dart|rust|go|java|c#|python|typescript|zod|pydantic|"
    r"protobuf)\s+(?:[\w-]+\s+){0,2}?(?:schemas?|models?|class(?:es)?|interfaces?|types|"
    r"structs?|records?|enums?)\b|\bopenapi\s+(?:component\s+)?schemas?\b"
    r"|(?P<infra>^[^.?!\n]{0,60}?\b(?:terraform|cloudformation|pulumi|aws\s+cdk|ansible|bicep|"
    r"arm\s+template|crossplane)\b)"
)
# The infrastructure tools' first words; a match names one within its first 60 characters
# plus the name (``^[^.?!\n]{0,60}?``).
_INFRA_WORDS = tuple("terraform cloudformation pulumi aws ansible bicep arm crossplane".split())
_INFRA_SPAN = 60 + max(map(len, _INFRA_WORDS))
# What a store's match ends with: "schemas?", "models?", "entit(?:y|ies)"...
_TOOL_OBJECTS = "schema model mapping entit collection document class validator equivalent".split()
_SQL_ASKED = re.compile(
    r"\b(?:(?<!cloud )(?<!azure )sql|quer(?:y|ies)|select|insert|grant|join|stored\s+procedure|"
    r"create\s+(?:user|role))\b"
)


# The tenth pass's languages and what is built in them ("Kotlin data classes", "zod
# schemas", "TypeScript interfaces"), and an OpenAPI schema.
_LANGUAGE_WORDS = frozenset(
    "kotlin swift dart rust go java c# python typescript zod pydantic protobuf".split()
)
_LANGUAGE_OBJECTS = "schema model class interface type struct record enum".split()


def may_name_tool(head: str) -> bool:
    """Exact gate of ``_OTHER_TOOL_TASK`` (tried at every position, so costly): a match
    holds a store or a language as a whitespace-split word and the thing built for it (a
    schema, models, a class...), "openapi", or an infrastructure tool's name near the
    start; a ``head`` with none of them cannot match."""
    words = head.split()
    if not STORE_WORDS.isdisjoint(words) and any(w in head for w in _TOOL_OBJECTS):
        return True
    if not _LANGUAGE_WORDS.isdisjoint(words) and any(w in head for w in _LANGUAGE_OBJECTS):
        return True
    if "openapi" in head:
        return True
    infra = head[:_INFRA_SPAN]
    return any(w in infra for w in _INFRA_WORDS)


def other_tool_task(lower: str) -> bool:
    """The lower-cased request's task is another tool's code or config (a mongoose schema or
    Django models of a pasted CREATE TABLE, Terraform for an RDS instance): the SQL in it is
    material. Not when the infrastructure request asks for SQL too ("... and the GRANT")."""
    head = lower[:_HEAD]
    if may_name_tool(head):
        m = _OTHER_TOOL_TASK.search(head)
        if m is not None:
            return not m.group("infra") or not _SQL_ASKED.search(head)
    # the task after a pasted DDL (fourteenth pass): "...);\n\nGenerate the EF Core 8
    # entities and the DbContext" (not an infrastructure tool, which must lead)
    tail = lower[max(_HEAD, len(lower) - _HEAD) :]
    if tail and may_name_tool(tail):
        m = _OTHER_TOOL_TASK.search(tail)
        return m is not None and not m.group("infra")
    return False


def changes_topic(text: str) -> bool:
    """The request is its own non-SQL task or says it leaves the topic: a system prompt
    or earlier SQL turns do not make it SQL (short elliptical follow-ups stay in)."""
    lower = text.lower()
    return bool(_TOPIC_CHANGE.search(lower[:_HEAD])) or other_artifact(lower)


def without_leaving_cue(text: str) -> str:
    """``text`` without the words that say it leaves SQL ("ok, enough SQL for today. can
    you recommend a book?"): they are not SQL evidence. The rest is still detected, so
    "unrelated: write a query that ..." is an SQL request."""
    text = artifact_task(text)
    lower = text.lower()
    if len(lower) != len(text):  # a case change altered the length: work on the lower case
        text = lower
    spans = [m.span() for m in _LEAVING_RX.finditer(lower, 0, _HEAD)]
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    return text


# --- a system prompt that sets a non-SQL task ----------------------------------------------
_OTHER_TASK = re.compile(
    # a role: "You are a translator", "Act as a recruiter"
    r"\b(?:translator|traducteur|traductrice|traductor|traduttore|übersetzer|copywriter|"
    r"lektor|lektorin|korrektor|korrektorin|relecteur|relectrice|correcteur|correctrice|"
    r"corrector|correctora|revisor|revisora|"
    r"copy\s+editor|proofreader|recruiter|headhunter|career\s+coach|summari[sz]er|poet|"
    r"journalist|ghostwriter|marketing\s+assistant|social\s+media\s+manager)\b"
    # a text task as the prompt's verb: at a sentence start or after "you", "that", "who"
    # ("Summarise what the user sends", "an assistant that translates"; not "answer
    # concisely and summarise when long")
    r"|(?:^|[.!?:;\n]\s*|\b(?:you|that|who|tu|vous|tú|du)\s+(?:only\s+|always\s+|will\s+|"
    r"must\s+|should\s+)?)(?:translat(?:e|es)|tradui[st]|traduisez|tradu[cz]es?|traduci|"
    r"übersetze|korrigiere|corrige[sz]?|summari[sz](?:e|es)|proofreads?|paraphrases?|"
    r"rephrases?|rewrites?|"
    r"classif(?:y|ies)|categori[sz]es?)\b"
    # writing something that is not code: "You write job ads", "that drafts cover letters"
    r"|\b(?:write|writes|draft|drafts|create|creates|compose|composes|produce|produces)\s+"
    r"(?:[\w,-]+\s+){0,3}?(?:job\s+(?:ads?|posts?|postings?|descriptions?)|product\s+"
    r"descriptions?|marketing\s+copy|blog\s+posts?|tweets?|press\s+releases?|"
    r"cover\s+letters?|newsletters?|emails?|poems?|stories|slogans?|(?:system\s+)?prompts?)\b"
    # a prompt engineer (twelfth pass): the user's database words are the prompt's material
    r"|\bprompt\s+(?:engineer|writer)\b|\b(?:write|improve|shorten)s?\s+(?:and\s+\w+\s+)?"
    r"(?:system\s+)?prompts\b",
    re.M,
)
_CONDITION = re.compile(r"\b(?:if|when|whenever|unless|only\s+for)\b")
# The system prompt's task is SQL after all ("translate questions into SQL").
_SQL_TARGET = re.compile(
    r"\b(?:into|to|in|as)\s+(?:\w+\s+)?(?:sql|queries|query)\b|\bsql\s+(?:quer(?:y|ies)|"
    r"statements?|code)\b|text-to-sql|nl2sql|\bwrites?\s+(?:\w+\s+)?sql\b"
)


# Substrings one of which every _OTHER_TASK match holds (a cheap test before the regex).
_TASK_STEMS = (
    "transl",
    "tradu",
    "übersetz",
    "lektor",
    "korrekt",
    "korrig",
    "relect",
    "correct",
    "corrig",
    "revisor",
    "summar",
    "proofread",
    "paraphras",
    "rephras",
    "rewrite",
    "classif",
    "categor",
    "recruit",
    "headhunt",
    "coach",
    "copy",
    "poet",
    "journalist",
    "ghostwrit",
    "marketing",
    "social media",
    "job ",
    "description",
    "post",
    "tweet",
    "release",
    "letter",
    "email",
    "poem",
    "stories",
    "slogan",
    "prompt",
)


@functools.lru_cache(maxsize=64)  # an application sends the same system prompt every time
def sets_other_task(system: str) -> bool:
    """The system prompt sets a task whose object is not SQL (translate, summarise, write
    job ads, act as a recruiter): the user's database words are its material."""
    lower = system.lower()[: 2 * _HEAD]
    if not any(stem in lower for stem in _TASK_STEMS) or _SQL_TARGET.search(lower):
        return False
    for m in _OTHER_TASK.finditer(lower):
        sentence = re.split(r"[.!?\n]", lower[m.end() :], maxsplit=1)[0]
        if not _CONDITION.search(sentence):  # "Translate to English if ...": not the task
            return True
    return False


_ASKS_FOR_SQL = re.compile(
    r"\b(?:write|give|generate|show|need|want|create|make|fix|optimi[sz]e|debug|explain)\s+"
    r"(?:me\s+|us\s+)?(?:[\w-]+\s+){0,3}?(?:sql|quer(?:y|ies)|select\s+statement|"
    r"stored\s+procedure|ddl|create\s+table)\b"
    r"|\b(?:why|what|how)\b[^.?!\n]{0,40}\b(?:this|my|the)\s+(?:sql|query|queries)\b"
    r"|\b(?:in|as|using)\s+(?:plain\s+)?sql\b"
    r"|\bsql\s+(?:for|to|that)\b|\b(?:what|which)\s+sql\b"
)
# A quoted passage (a prompt, a message) is material: its words do not ask for SQL.
_QUOTED = re.compile(r"(?<!\w)['\"“‘«].{12,}?['\"”’»](?!\w)")


def asks_for_sql(text: str) -> bool:
    """The user asks for SQL itself (under a system prompt that set another task)."""
    return bool(_ASKS_FOR_SQL.search(_QUOTED.sub(" ", text.lower()[:_HEAD])))


# Lock errors worded by one engine only: each decides alone, like router._sql_vocab's
# ERROR_MARKERS (PostgreSQL, MySQL 1213, SQL Server 1205).
ENGINE_LOCK_ERRORS = (
    "waits for sharelock on transaction",
    "waits for exclusivelock on",
    "waits for sharelock on relation",
    "deadlock found when trying to get lock",
    "was deadlocked on lock resources",
)


def lock_error(lower: str) -> bool:
    """A database engine's deadlock or lock-wait message in the lower-cased text."""
    return "lock" in lower and any(m in lower for m in ENGINE_LOCK_ERRORS)
