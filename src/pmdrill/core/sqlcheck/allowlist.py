"""Which DuckDB functions an answer may call: a snapshot of a pristine DuckDB minus a deny-list.

The snapshot (``duckdb_functions.txt``) is committed so the core stays pure; a test compares it
with the installed DuckDB. Built once per process.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

# The deny-list, by family, with the reason a refusal gives. Everything else a pristine DuckDB
# offers is allowed.
DENY_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # read any file or URL the worker can reach
    ("it reads files or URLs", (
        r"read_.*", r".*_scan", r"glob", r"sniff_csv", r"parquet_.*", r"load_file", r"pg_read_.*",
        r"pg_ls_dir", r"pg_stat_file", r"hive_partition_component", r"variant_to_parquet_variant")),
    # reveal paths, settings and the engine's own state (the warehouse path, memory limits, ids)
    ("it reveals the engine's catalog, settings or environment", (
        r"duckdb_.*", r"pragma_.*", r"pg_.*", r"has_.*_privilege", r".*_description",
        r"current_(setting|database|schema|schemas|catalog|user|role|query|query_id|connection_id"
        r"|transaction_id)",
        r"session_user", r"user", r"in_search_path", r"txid_current", r"get_block_size", r"getenv",
        r"inet_.*", r"format_pg_type", r"format_type", r"map_to_pg_oid", r"map_type_id_to_pg_oid",
        r"which_secret", r"test_.*")),
    # run or inspect SQL the gate never saw
    ("it runs SQL the gate never checked", (
        r"query", r"query_table", r"json_execute_serialized_sql", r"json_serialize_plan",
        r"json_serialize_sql", r"json_deserialize_sql", r"summary")),
    # change what later queries on the same instance see
    ("it changes engine state that later queries would see", (
        r"getvariable", r"setseed", r"nextval", r"currval", r"setval", r"enable_.*", r"disable_.*",
        r"write_log", r".*duckdb_log.*", r"checkpoint", r"force_checkpoint", r".*_external_resource.*",
        r".*grammar_extension")),
    # hold a worker for nothing, or multiply rows without bound
    ("it only spends time or memory", (r"sleep.*", r"pg_sleep", r"benchmark", r"repeat_row",
                                       r"histogram_values")),
    # not meant to be called by users
    ("it is internal to DuckDB", (r"__.*", r"collate_.*", r"icu_.*")),
)
DENY_PATTERNS: tuple[str, ...] = tuple(p for _, pats in DENY_FAMILIES for p in pats)
_DENY = re.compile("|".join(f"(?:{p})" for p in DENY_PATTERNS))
_FAMILY = tuple((why, re.compile("|".join(f"(?:{p})" for p in pats))) for why, pats in DENY_FAMILIES)

# Table functions are refused except these, whose size the gate bounds (see limits.py).
TABLE_FUNCTIONS: frozenset[str] = frozenset({"generate_series", "range", "unnest"})

# Syntax that sqlglot renders like a call but is not a catalog function in DuckDB.
SYNTAX_CALLS: frozenset[str] = frozenset({
    "cast", "try_cast", "extract", "exists", "columns", "coalesce", "unnest", "grouping",
    "struct_pack", "interval", "map", "array", "row", "position", "trim", "substring", "overlay",
    "if", "nullif", "ifnull", "lambda",
})


def is_denied(name: str) -> bool:
    return _DENY.fullmatch(name.lower()) is not None


def deny_reason(name: str) -> str | None:
    """Why ``name`` is on the deny-list, or None when it is not.

    Example:
        >>> deny_reason("read_csv"), deny_reason("sum")
        ('it reads files or URLs', None)
    """
    for why, pattern in _FAMILY:
        if pattern.fullmatch(name.lower()):
            return why
    return None


@cache
def snapshot() -> dict[str, frozenset[str]]:
    """name -> function types, read from the committed snapshot of ``duckdb_functions()``."""
    text = resources.files("pmdrill.core.sqlcheck").joinpath("duckdb_functions.txt").read_text()
    kinds: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, kind = line.split("\t")
        kinds.setdefault(name.lower(), set()).add(kind)
    return {n: frozenset(k) for n, k in kinds.items()}


@cache
def allowed_functions() -> frozenset[str]:
    """Scalar, aggregate, window and macro functions an answer may call.

    Example:
        >>> 'sum' in allowed_functions(), 'read_csv' in allowed_functions()
        (True, False)
        >>> 'getenv' in allowed_functions(), 'current_setting' in allowed_functions()
        (False, False)
    """
    ok = {"scalar", "aggregate", "window", "macro"}
    names = {n for n, kinds in snapshot().items() if kinds & ok and not is_denied(n)}
    return frozenset(names | SYNTAX_CALLS)


def allowed_table_functions() -> frozenset[str]:
    return TABLE_FUNCTIONS
