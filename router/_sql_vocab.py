"""Word lists and phrase patterns the SQL detector (``router._sql``) weighs.

Kept apart from the scoring so the vocabulary can be read (and extended) in one place. Every
pattern is anchored: ``router._textscan.at``/``before`` try it only where ``str.find`` found
its leading literal, so the cost stays linear in the text length.
"""

from __future__ import annotations

import re

from router._sql_anchors import ANCHOR_REQUIRES
from router._sql_errors import ERROR_MARKERS_BY_WORD
from router._sql_task import CUE_GATE
from router._textscan import wordset

__all__ = [
    "ANCHOR_REQUIRES",
    "ASKS_FOR_ROWS",
    "ASK_BEFORE",
    "CAREER_PHRASES",
    "CAREER_WORDS",
    "CONTEXT_DIALECTS",
    "DATAFRAME_WORDS",
    "DB_ACTION",
    "DB_NOUNS",
    "DB_WITH",
    "DIALECTS",
    "DIALECT_NOUN",
    "DIALECT_TOPIC",
    "DRIVERS",
    "ENGINE_TOOLS",
    "GATE_BY_WORD",
    "GATE",
    "LOOKALIKE",
    "LOOKALIKE_BY_WORD",
    "LOOKALIKE_PHRASES",
    "ORM_WORDS",
    "OTHER_QL",
    "PHRASES_2",
    "PHRASES_3",
    "PHRASES_4",
    "PHRASE_ANCHORS_2",
    "PHRASE_ANCHORS_3",
    "PHRASE_ANCHORS_4",
    "QUERY_DOES",
    "QUERY_LANGUAGES",
    "QUERY_NOUNS",
    "TABLE_AFTER",
    "TABLE_ANSWER",
    "TABLE_ANSWER_ANCHORS",
    "TABLE_BEFORE_SOURCE",
    "TOPIC_SWITCH",
    "UPPER_PHRASES",
    "UPPER_WORDS",
    "WAREHOUSE_DIALECTS",
    "WAREHOUSE_WORDS",
]

# Engines and dialects: a name alone is 2 points ("help studying MySQL" is SQL, a CV listing
# MySQL is not, so a name needs one more piece of evidence in the default mode).
DIALECTS = wordset(
    "sql mysql mysqli postgres postgresql sqlite sqlite3 tsql t-sql plsql pl/sql psql mssql "
    "hivesql sparksql mariadb bigquery clickhouse duckdb trino teradata "
    "vertica databricks db2 cockroachdb daiquery pgadmin ssms sybase greenplum timescaledb "
    "presto hiveql tidb phpmyadmin psycopg2 pymysql mysqldump plpgsql sqlcmd sqlplus dbeaver "
    "datagrip supabase planetscale synapse impala sqlserver nvarchar innodb myisam "
    # more engines, and the misspellings users type ("postgre", "sqllite")
    "timescale yugabyte yugabytedb singlestore memsql netezza exasol firebird informix "
    "postgis pgsql postgre sqllite sqlit sqllit starrocks hsqldb dbt pgcli"
)
GATE = (
    DIALECTS
    | wordset(
        "query queries sqlquery select table tables database databases db schema schemas join "
        "joins insert update delete column columns index indexes upsert cte ctes trigger triggers "
        "procedure procedures ddl dml oracle subquery subqueries sqlstate relational rdbms "
        "ora-00942 normalization normalize normalise materialized having coalesce rdbms dba "
        "inserts transaction transactions row rows record records null nulls denormalize "
        "denormalization sqlcode errno serialize canceling cancelling hive athena"
    )
    | CUE_GATE
)
DB_NOUNS = wordset(
    "table tables column columns schema database databases row rows record records index "
    "indexes indices trigger constraint ddl db insert inserts transaction transactions joins "
    "nulls"
)
# Dataframe libraries are look-alikes unless an SQL engine is the data source or target
# ("read a MySQL table into pandas", "insert NULL into mysql from a DataFrame").
DATAFRAME_WORDS = wordset("pandas dataframe dataframes df pyspark dplyr tibble polars")
# Raw database drivers: with them, an ORM name no longer means "no SQL here".
DRIVERS = wordset("psycopg2 pymysql mysqli jdbc odbc pdo")
# Evidence that a request is about something else that looks like SQL. Each costs 3 points.
LOOKALIKE = wordset(
    "graphql gql elasticsearch opensearch es mongodb mongo mongoose couchbase n1ql cypher "
    "neo4j sparql dynamodb firestore firebase kql kusto jquery excel spreadsheet spreadsheets "
    "dax vba faiss pinecone weaviate chromadb cassandra apollo nosql dns kafka rabbitmq airtable "
    "smartsheet notion "
    # ninth pass: OpenPGP keys ("my primary key and subkeys"), container wiring of a database
    "gpg gnupg openpgp pgp subkey subkeys yubikey keyring nginx latex"
)
# CVs, job ads and cover letters list SQL among skills: 5 points against.
CAREER_WORDS = wordset("resume cv lernplan lernpfad")
CAREER_PHRASES = tuple(
    "job description|job ad|jobposting|job posting|job listing|job opening|years of experience|"
    "years of expertise|proven track record|cover letter|"
    # eighth pass: interview preparation, study plans in other languages
    "behavioural question|behavioral question|plan d'étude|plan de estudio|plano de estudo|"
    # fourteenth pass: job ads in other languages
    "annuncio di lavoro|offerta di lavoro|offre d'emploi|oferta de empleo|oferta de trabajo|"
    "stellenanzeige|stellenausschreibung|anúncio de vaga|vaga de emprego".split("|")
)
# Other query languages: their prompts share SQL's query words, so they cost 5 points.
QUERY_LANGUAGES = wordset(
    "graphql gql elasticsearch opensearch es mongodb mongo mongoose couchbase n1ql cypher "
    "neo4j sparql dynamodb firestore kql kusto influxql influxdb promql logql"
)
# ORMs count as look-alikes unless SQL itself is named ("what SQL does Django generate").
ORM_WORDS = wordset(
    "django sqlalchemy prisma sequelize typeorm hibernate eloquent laravel mongoid linq"
)
LOOKALIKE_PHRASES = tuple(
    "power query|power bi|google sheet|web search results|search quer|react-query|media quer|"
    "query string|query param|markdown table|table format|table of contents|in a table|"
    "redis|data frame|query function|vlookup|pivot table|json schema|schema json|schema.org|"
    "graphql schema|xml schema|vector database|vector index|es index|elastic index|"
    "query term|search term".split("|")
)
# More look-alike phrases (fifth pass), each searched only when its word is in the prompt.
LOOKALIKE_BY_WORD = {
    w: tuple(m.split("|"))
    for w, m in (
        ("data", "data.table"),
        ("theory", "game theory"),
        ("chomsky", "chomsky"),
        ("conjunctive", "conjunctive normal"),
        ("disjunctive", "disjunctive normal"),
        ("jordan", "jordan normal"),
        ("periodic", "periodic table"),
        ("component", "table component"),
        ("react", "react table"),
        ("grid", "data grid"),
        ("html", "html table"),
        ("quadratic", "quadratic"),
        ("polynomial", "polynomial"),
        ("equation", "equation"),
        ("please", "no sql please"),
        ("without", "without sql|without using sql|without spark sql|without using spark sql"),
        ("instead", "instead of sql"),
    )
}
# (eighth pass: time-series and log stores whose languages borrow SELECT and GROUP BY)
OTHER_QL = tuple(
    "couchbase n1ql cosmos cypher neo4j sparql kusto soql influxql influxdb promql logql".split()
)

# The gate's substrings that are searched only when their word is in the prompt (each
# substring searched in every prompt would cost every prompt a pass): the keyed error
# messages, and phrases whose words are too common to gate on ("explain analyze").
GATE_BY_WORD = {
    **ERROR_MARKERS_BY_WORD,
    "analyze": ("explain analyze",),
    "analyse": ("explain analyse",),
    "many": ("many to many",),
}


# SQL written in capitals inside prose: "Why is SELECT * slow?", "my GROUP BY returns...".
UPPER_PHRASES = (
    "SELECT *",
    "SELECT DISTINCT",
    "SELECT COUNT",
    "GROUP BY",
    "ORDER BY",
    "PARTITION BY",
    "LEFT JOIN",
    "RIGHT JOIN",
    "INNER JOIN",
    "OUTER JOIN",
    "CROSS JOIN",
    "FULL JOIN",
    "INSERT INTO",
    "UNION ALL",
    "DISTINCT ON",
    "ON CONFLICT",
    "ON DUPLICATE KEY",
    "ROW_NUMBER",
    "COUNT(*)",
    "WHERE clause",
    "NOT EXISTS",
    "IS NULL",
    "CASE WHEN",
    "IF EXISTS",
    "HAVING",
    "COALESCE",
    "VARCHAR",
    "ILIKE",
    "WITH RECURSIVE",
    "EXPLAIN ANALYZE",
    "EXPLAIN (",
    "FOR UPDATE",
    "SKIP LOCKED",
    "LIKE '%",
    "SELECTs",
    "JOINs",
)
UPPER_WORDS = ("SELECT", "WHERE", "OFFSET", "JOIN", "UNION", "DISTINCT", "NULLS", "LIMIT")

# Lower-case SQL vocabulary in prose, by weight.
PHRASES_4 = re.compile(
    r"(?:where\s+clause|having\s+clause|select\s+statement|sql\s+statement|stored\s+procedures?|"
    r"(?:left|right|inner|outer|self|cross|full|anti|semi)\s+(?:outer\s+)?joins?\b|"
    r"ddl\b|dml\b|subquer|sql\s+quer|sql\s+code|sql\s+script|query\s+plan|"
    r"explain\s+analy[sz]e|normal\s+forms?\b|[123]nf\b|bcnf\b|relational\s+(?:database|algebra|"
    r"schema|model)|rdbms\b|materiali[sz]ed\s+views?|correlated\s+subquer|isolation\s+level|"
    r"select\s+for\s+update|case\s+when\b|count\(\*\)|information_schema|one-to-many|"
    r"truncate\s+(?:and|vs\.?|or|versus)\s+delete|delete\s+(?:and|vs\.?|or|versus)\s+truncate|"
    r"truncate\s+table|window\s+functions?|row_number\b|dense_rank\b|over\s*\(\s*(?:partition\s+by|order\s+by|\))|date_trunc\b|string_agg\b|"
    r"group_concat\b|listagg\b|on\s+delete\s+cascade|temp(?:orary)?\s+tables?\b|"
    r"star\s+schema|(?:fact|dimension|junction|bridge|lookup)\s+tables?\b|"
    r"(?:dirty|phantom|non-repeatable)\s+reads?\b|row[\s-]level\s+security|"
    r"query\s+optimi[sz]er|sql\s+(?:server\s+)?(?:database|table|syntax|function|view|job|agent|instance|login|"
    r"management\s+studio)|"
    r"many-to-many|(?:raw|generated|underlying|resulting)\s+sql\b|sql\s+(?:\S+\s+){0,3}?"
    r"(?:generat|produc|emit)\w*|parameteri[sz]ed\s+quer|prepared\s+statements?|"
    r"(?:merge|update|insert|delete|select|create|alter|drop|upsert)\s+statements?|"
    r"join\w*\s+(?:these|the|two|three|my|both|multiple)?\s*(?:\w+\s+)?tables\b)"
)
PHRASES_3 = re.compile(
    r"(?:recursive\s+(?:quer|cte)|(?:covering|composite|clustered|"
    r"non-?clustered|unique|partial|multi-?column|b-?tree|full-?text)\s+index|"
    r"index(?:es)?\s+(?:on|scan|seek)\b|(?:add|create|drop|rebuild)\s+(?:an?\s+|the\s+)?index|"
    r"seq(?:uential)?\s+scan|full\s+table\s+scan|n\+1\s+(?:quer|problem|select)|primary\s+keys?\b|foreign\s+keys?\b|"
    r"database\s+(?:design|schema|table|normali[sz]ation|trigger|migration)|db\s+schema|"
    r"er\s+diagram|entity[\s-]relationship|sql\s+injection|database\s+quer|"
    r"databases?\s+(?:is\s+|are\s+)?(?:called|named)\s|columns?\s+unique|"
    r"unique\s+(?:column|key|index)|(?:composite|surrogate|natural|candidate)\s+keys?\b|"
    r"check\s+constraints?|identity\s+columns?|database\s+index|index(?:es)?\s+(?:\w+\s+){0,3}?(?:in|on)\s+(?:an?\s+|"
    r"the\s+)?(?:database|db|table)\b|datediff\b|dateadd\b|to_char\b|"
    r"(?:sum|avg|count|max|min)\s*\(\s*(?:distinct\s+)?[a-z_.]+\s*\)|"
    r"(?:delete|remove|find|count|dedupe)\s+(?:the\s+|all\s+)?"
    r"duplicate\s+(?:rows|records)|design\w*\s+(?:an?\s+|the\s+|my\s+|our\s+)?(?:\w+\s+)?"
    r"(?:database|db|schema)\b|(?:learn|stud|practi[cs]|teach)\w*\s+(?:\w+\s+){0,2}?"
    r"(?:sql|joins|subqueries|quer(?:y|ies)|databases?|mysql|postgres\w*)\b|"
    r"(?:in)?to\s+(?:an?|the)\s+(?:database\s+|sql\s+)?query\b|"
    r"(?:my|this|the|our)\s+(?:sql\s+)?(?:query|select)\s+(?:is|was|returns?|gives?|takes?|"
    r"runs?|fails?|"
    r"keeps|doesn'?t|does\s+not|won'?t|seems|throws|shows)\b|wrong\s+with\s+(?:my|this|the)\s+"
    r"query|(?:one|first|latest|last|top\s+\d+|\d+)\s+rows?\s+(?:per|for\s+each|in\s+each|"
    r"of\s+each)\s+(?:group|category|customer|user|key|id|department|day|week|month|date|"
    r"store|product|account|order|partition)\b|(?:de)?normali[sz]\w*\s+(?:\w+\s+){0,3}?(?:tables?|schema|database|"
    r"data\s+model)|index(?:ing)?\s+strateg|(?:nth|n-th|second|third|2nd|3rd)\s+(?:highest|"
    r"largest|lowest|smallest|max)|lock\w*\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:tables?|rows?)\b|"
    r"(?:database|db|query|queries)\s+(?:is\s+|are\s+|was\s+|so\s+|very\s+|really\s+|too\s+)*"
    r"slow\b|many\s+to\s+many|one\s+to\s+many|"
    r"(?:migration|backfill)\w*\s+(?:\w+\s+){0,6}?(?:columns?|tables?)\b|"
    r"triggers?\s+(?:\w+\s+){0,8}?(?:on\s+(?:every\s+)?(?:insert|update|delete)|before\s+"
    r"(?:insert|update)|after\s+(?:insert|update|delete))|null\s+values?\s+in)"
)
PHRASES_2 = re.compile(
    r"(?:group\s+by|order\s+by|upsert|cte\b|ctes\b|coalesce|second\s+highest|"
    r"unique\s+constraint|auto[_\s-]?increment|not\s+null\b|varchar|transactions?\s+"
    r"(?:roll|commit|isolation)|rollback|union\s+(?:two|all|the)\s+|grant\s+(?:[\w-]+\s+){0,3}(?:access|"
    r"privileges?|permissions?)\s+(?:on|to)\b|stor(?:e|es|ing)\s+(?:\w+\s+){0,4}?"
    r"(?:in|into|to)\s+(?:an?\s+|the\s+|my\s+)?(?:database|db|table)\b|"
    r"paginat\w*\s+(?:\w+\s+){0,4}?(?:tables?|rows|records|quer(?:y|ies))\b)"
)
PHRASE_ANCHORS_4 = tuple(
    "where|having|select|sql|stored|left|right|inner|outer|self|cross|full|anti|semi|ddl|dml|"
    "subquer|query|execution|explain|normal|1nf|2nf|3nf|bcnf|relational|rdbms|materiali|"
    "correlated|isolation|case|count(|information_schema|one-to-many|many-to-many|raw|"
    "generated|underlying|resulting|parameterized|parameterised|prepared|merge|update|insert|"
    "truncate|window|row_number|dense_rank|over|date_trunc|string_agg|group_concat|listagg|on|temp|temporary|"
    "star|fact|dimension|junction|bridge|lookup|dirty|phantom|non-repeatable|row|query|"
    "delete|create|alter|drop|upsert|join|joining|joins".split("|")
)
PHRASE_ANCHORS_3 = tuple(
    "window|recursive|covering|composite|clustered|non|nonclustered|unique|partial|multi|"
    "btree|b-tree|full|fulltext|full-text|index|add|create|drop|rebuild|seq|n+1|primary|"
    "foreign|database|databases|db|er|entity|sql|migration|backfill|trigger|null|column|"
    "columns|delete|remove|find|count|dedupe|design|designing|learn|learning|study|studying|"
    "composite|surrogate|natural|candidate|check|identity|datediff|dateadd|to_char|sum|avg|"
    "truncate|indexes|"
    "max|min|"
    "practice|practicing|practise|teach|teaching|to|into|my|this|the|our|wrong|one|first|latest|"
    "last|top|denormalize|denormalise|denormalizing|denormalization|normalize|normalise|"
    "normalizing|normalization|indexing|many|nth|n-th|second|third|2nd|3rd|lock|locking|locks|"
    "database|db|query|queries".split("|")
)
PHRASE_ANCHORS_2 = tuple(
    "group|order|upsert|cte|coalesce|second|unique|auto|not|varchar|transaction|rollback|"
    "union|join|grant|store|stores|storing|paginate|paginating|pagination".split("|")
)

DIALECT_NOUN = re.compile(  # right after a dialect: "mysql database", "postgres geometry column"
    r"(?:\s+server)?(?:\s+\d+(?:\.\d+)?)?(?:\s+[a-z]\w*)?\s+(?:databases?|db|tables?|columns?|schemas?|"
    r"instance|quer(?:y|ies)|statements?|scripts?|code|views?|procedures?|triggers?|indexe?s?|"
    r"syntax|dialect|equivalent|functions?|rows?)\b"
)
# Before a dialect: the question is about it ("In SQL, what is...", "postgres: how do I").
# Engine tools whose names the word splitter cuts at "_": found as substrings.
ENGINE_TOOLS = ("pg_dump", "pg_restore", "pg_stat", "pgbouncer", "pg_hba")
DIALECT_TOPIC = re.compile(r"(?:^\s*|[.!?\n(]\s*|\bin\s+)(?:spark\s+|pl/|t-)?\Z")
# Engine names that are also ordinary words count only with database context.
CONTEXT_DIALECTS = {
    "oracle": re.compile(
        r"oracle(?:\s+(?:db|database|sql|equivalent|table|query|syntax|\d+[cgi]?)\b|:|,?\s+"
        r"(?:how|what|why|can|is|does|should)\b)"
    ),
    "snowflake": re.compile(
        r"snowflake(?:\s+(?:db|database|sql|table|query|queries|schema|warehouse|stage|view)\b|:|,)"
    ),
    "redshift": re.compile(
        r"redshift(?:\s+(?:db|database|sql|table|query|queries|cluster|spectrum|schema)\b|:|,)"
    ),
    "hive": re.compile(
        r"hive(?:\s+(?:db|database|sql|ql|table|tables|query|queries|metastore|partitions?|udf|"
        r"external|on\s+tez)\b|:)"
    ),
    "athena": re.compile(r"athena(?:\s+(?:query|queries|table|tables|sql|workgroup)\b|:)"),
}
# With any of these words in the prompt, "snowflake" and "redshift" are the warehouses.
WAREHOUSE_WORDS = wordset(
    "table tables query queries join joins schema warehouse sql cluster database column columns "
    "analytics dwh etl elt dbt rows"
)
WAREHOUSE_DIALECTS = frozenset(("snowflake", "redshift"))  # warehouse words name them
DB_ACTION = re.compile(  # right before a dialect: "export data from excel to", "convert to"
    r"\b(?:load|import|export|insert|migrat\w*|copy|move|sync|dump|restore|back\s+up|backup|"
    r"ingest|convert|translate|rewrite|turn)\w*\b[^.?!\n]{0,60}\b(?:to|into|in|from)\s+(?:a\s+|an\s+|the\s+|my\s+)?\Z"
)
QUERY_NOUNS = tuple(
    (n.split()[0], n)
    for n in "sql|sqlquery|query|queries|stored procedure|trigger|cte|upsert|ddl|schema|"
    "database|db".split("|")
)
ASK_BEFORE = re.compile(  # right before a query noun: "write a", "fix this postgres"
    r"\b(?:write|give|generate|create|show|help|fix|optimi[sz]e|improve|rewrite|convert|"
    r"translate|debug|explain|make|build|craft|provide|refactor|modify|edit|correct|format|"
    r"comment|design|need|want|figure\s+out|speed\s+up|normali[sz]e|"
    r"(?:reply|respond|answer)(?:\s+only)?\s+with)\s+(?:me\s+|us\s+|out\s+|only\s+)?"
    r"(?:(?:a|an|the|this|that|these|my|our|some|following|below|above|single|simple|"
    r"efficient|optimi[sz]ed|valid|new|sample|example|complete|correct|\d+|one|two|three)"
    r"\s+){0,3}(?:[\w/.-]+\s+){0,2}\Z"
)
QUERY_DOES = re.compile(  # "query that returns", "sql to find", "trigger that sets", "query for:"
    r"(?:(?:sql\s?)?(?:query|queries|sql)\s+(?:for|to)\s*:|"
    r"(?:(?:sql\s?)?(?:query|queries|sql)|stored\s+procedures?|triggers?)\s+(?:(?:that|which|"
    r"to|for)\s+(?:\w+\s+){0,2}?)?(?:(?:return|find|list|count|select|show|fetch|insert|join|"
    r"group|filter|rank|pivot)(?:s|es|ing)?|get|gets|getting|sums?|summing|(?:calculat|comput|"
    r"retriev|delet|updat|aggregat|remov|archiv)(?:e|es|ing)|sets?|setting|logs?|logging|"
    r"classif(?:y|ies|ying)|identif(?:y|ies|ying))\b)"
)
DB_WITH = re.compile(  # "a database with users and payments": the tables it names
    r"(?:database|db)s?\s+with\s+(?:tables?\s+)?(?P<names>[a-z_]+s(?:\s*,\s*[a-z_]+s)*,?\s+and\s+"
    r"[a-z_]+s)\b"
)
ASKS_FOR_ROWS = re.compile(  # then asked for by name: "how do I find users whose ..."
    r"\b(?:find|get|list|count|show|select|return|fetch|delete|update)\s+(?:all\s+|the\s+|every\s+)?"
    r"(?P<name>[a-z_]+s)\b"
)
TABLE_BEFORE_SOURCE = (  # "from the users table", "of sub_category table", "query the orders"
    r"(?:\b(?:from|in|into|on|of|to|for|query|queries|join|joins|update|updates|called|lock|"
    r"locks|locking|scan|scans|truncate|alter|index|indexes)\s+|^\s*|[.!?]\s+)"
    r"(?:(?:(?:the|my|our|a|an|your)\s+(?:<PLURAL>\s+)?)?<NAMED>|(?:the|my|our|a|an|your)\s+"
    r"<PLURAL>)\s+\Z|\b(?:from|in|into|of|on|join)\s+<NOT>[a-z]\w*\s+\Z"
)
TABLE_AFTER = re.compile(  # "table called users", "tables orders(id, ...", "Table: Staff Columns:"
    r"(?:schema\s*:\s*[`\"]?\w+[`\"]?\s*\(\s*\w+\s*[,)])|tables?(?:\s+(?:is\s+|are\s+)?(?:called|named)\s+\S|:?\s+[`\"]?\w+[`\"]?\s*\(\s*\w+\s*"
    r"[,)]|:\s*\w+\s+columns?:|\s+\w+\s+with\s+(?:the\s+)?(?:following\s+)?(?:fields|columns)|"
    r"\s+has\s+(?:an?\s+|the\s+)?\w+\s+column)"
)
# "Make me a table of ...": a table in the answer, not in a database.
TABLE_ANSWER = re.compile(
    r"(?:make|create|give|draw|build|put|provide|generate|show|prepare)\s+(?:me\s+|us\s+)?(?:an?\s+|"
    r"this\s+|it\s+|them\s+|the\s+\w+\s+)?(?:in(?:to)?\s+a\s+)?table\s+(?:of|comparing|showing|"
    r"listing|that\s+(?:lists|shows|compares))\b"
)
TABLE_ANSWER_ANCHORS = (
    "make",
    "create",
    "give",
    "draw",
    "build",
    "put",
    "provide",
    "generate",
    "show",
    "prepare",
)
# A follow-up that leaves the SQL conversation: earlier SQL turns no longer make it SQL.
TOPIC_SWITCH = re.compile(
    r"\b(?:never\s*mind|nevermind|unrelated|different\s+(?:topic|question|subject)|"
    r"new\s+(?:topic|question)|change\s+(?:of\s+)?(?:the\s+)?subject|forget\s+(?:that|the\s+"
    r"(?:sql|query|database))|haiku|poem|lyrics|song|story|essay|cover\s+letter|tweet|"
    r"translate\s+(?:this|that|it)?\s*(?:in)?to\s+(?:english|french|german|spanish|chinese|"
    r"japanese|korean|italian|portuguese))\b"
)
