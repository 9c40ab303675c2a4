"""The `when` evaluator: what it allows, what it refuses, how empty fields behave."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from procdoc.process.expr import ExpressionError, parse


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("amount > 5000", {"amount": 5001}, True),
        ("amount > 5000", {"amount": 5000}, False),
        ("amount > 5000", {}, False),  # empty field: the branch does not open
        ("amount * 2 >= 100 and ok == '是'", {"amount": 50, "ok": "是"}, True),
        ("not (ok == '是')", {"ok": "否"}, True),
        ("channel in ['来信', '网络']", {"channel": "网络"}, True),
        ("channel not in ['来信', '网络']", {"channel": "来访"}, True),
        ("channel != '来信'", {}, True),  # an empty field is not equal to a value
        ("a or b", {"a": "", "b": 0}, False),
        ("flag == true", {"flag": True}, True),
        ("amount > '5000'", {"amount": 6000}, False),  # different kinds compare false, never crash
        ("1 < amount < 10", {"amount": 5}, True),
        ("amount / 0 > 1", {"amount": 5}, False),
        ("金额 > 100", {"金额": 200}, True),  # Chinese identifiers are names too
    ],
)
def test_evaluate(text: str, values: dict[str, object], expected: bool) -> None:
    assert parse(text).evaluate(values) is expected


def test_names() -> None:
    assert parse("amount > 5000 and ok == '是' or x in [1, y]").names == {"amount", "ok", "x", "y"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('x')", "function calls"),
        ("a.__class__", "attribute access"),
        ("a[0]", "indexing"),
        ("[x for x in y]", "ListComp"),
        ("lambda: 1", "Lambda"),
        ("_secret == 1", "not a field name"),
        ("a ==", "does not parse"),
        ("", "empty"),
        ("a is None", "only == != < <= > >= in and not in"),
        ("x" * 600, "longer than"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text)


@given(st.text(max_size=80))
def test_random_text_parses_or_refuses_cleanly(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError:
        return
    expression.evaluate({name: 1 for name in expression.names})
