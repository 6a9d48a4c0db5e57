"""How the analysts' ClickHouse interface reads a query and words ClickHouse's answers."""

from __future__ import annotations

import pytest

from smartlinks.analyst import as_query_error, format_to_add, result_format, unescape


@pytest.mark.parametrize(
    ("query", "added"),
    [
        ("SELECT 1", "CSV"),
        ("  with x AS (SELECT 1) SELECT * FROM x", "CSV"),
        ("(SELECT 1) UNION ALL (SELECT 2)", "CSV"),
        ("SHOW TABLES", "CSV"),
        ("SELECT 1\n FORMAT Native", None),  # clickhouse-connect's own clause stays the only one
        ("SELECT 1 format JSONEachRow;", None),
        ("SET readonly = 0", None),  # a FORMAT here would be a syntax error, not the refusal
        ("INSERT INTO clicks VALUES (1)", None),
    ],
)
def test_a_format_is_added_only_to_queries_that_return_rows_without_one(
    query: str, added: str | None
) -> None:
    assert format_to_add(query, "CSV") == added


def test_the_answers_format_is_the_querys_own_else_the_default() -> None:
    assert result_format("SELECT 1 FORMAT JSONEachRow", "TabSeparated") == "JSONEachRow"
    assert result_format("SELECT 'FORMAT CSV' AS f", "TabSeparated") == "TabSeparated"


def test_parameters_arrive_in_clickhouses_escaped_text() -> None:
    assert unescape(r"it\'s a \\ and a\ttab\n") == "it's a \\ and a\ttab\n"
    assert unescape("plain") == "plain"


def test_errors_keep_clickhouses_code_text_and_status() -> None:
    wrapped = RuntimeError(
        "Received ClickHouse exception: Code: 164. DB::Exception: default: Cannot execute query "
        "in readonly mode. (READONLY)"
    )
    error = as_query_error(wrapped)
    assert (error.code, error.status) == (164, 403)
    assert error.message.startswith("Code: 164. DB::Exception:")
    assert as_query_error(RuntimeError("Code: 62. DB::Exception: Syntax error")).status == 400
    assert as_query_error(RuntimeError("Code: 60. DB::Exception: Unknown table")).status == 404
    assert as_query_error(RuntimeError("Code: 159. DB::Exception: Timeout exceeded")).status == 500
