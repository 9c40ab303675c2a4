"""Safe `when` expressions: comparisons, and/or/not, in, arithmetic over field values.

The text is parsed with :mod:`ast` into a tree that is checked node by node against a
short allow-list and then evaluated by this module's own walker. Nothing is handed to
Python's ``eval``: there are no calls, attributes, subscripts, comprehensions or lambdas,
so an expression cannot reach Python internals.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from procdoc.i18n import _

MAX_LENGTH = 500

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_CONSTANT_NAMES = {
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "null": None,
    "None": None,
}


class ExpressionError(ValueError):
    """An expression that does not parse or uses something not allowed; ``col`` is
    the 1-based column inside the expression text."""

    def __init__(self, message: str, col: int = 1) -> None:
        self.col = col
        super().__init__(message)


@dataclass(frozen=True)
class Expression:
    """A checked expression. ``names`` are the field ids it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        """True when the expression holds for ``values``. An empty field, or a
        comparison between values of different kinds, makes the comparison false
        rather than an error: a branch whose data is missing does not open."""
        return bool(_eval(self.tree, values))


def parse(text: str) -> Expression:
    """Parse and check ``text``; raises :class:`ExpressionError`."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(_("empty expression"))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            _("expression longer than {max_length} characters").format(max_length=MAX_LENGTH)
        )
    source = text.strip()
    curly = _CURLY_QUOTE.search(source)
    if curly is not None:  # accepted == “是”: typed with a Chinese input method (QA)
        raise ExpressionError(
            _("has Chinese quotes {quote}: write a text in ASCII quotes ('是')").format(
                quote=curly.group()
            ),
            curly.start() + 1,
        )
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        single = _SINGLE_EQUALS.search(source)
        if single is not None:  # accepted = '是' (QA)
            raise ExpressionError(
                _("uses '=', which gives a value: to compare, write '=='"), single.start() + 1
            ) from err
        raise ExpressionError(
            _("does not parse: {msg}").format(msg=_syntax_words(err.msg)), err.offset or 1
        ) from err
    names: set[str] = set()
    _check(tree.body, names)
    return Expression(text=source, tree=tree.body, names=frozenset(names))


_CURLY_QUOTE = re.compile("[“”‘’「」]")
_SINGLE_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")


def _check(node: ast.AST, names: set[str]) -> None:
    col = getattr(node, "col_offset", 0) + 1
    match node:
        case ast.BoolOp(values=values):
            for value in values:
                _check(value, names)
        case ast.UnaryOp(op=ast.Not() | ast.USub() | ast.UAdd(), operand=operand):
            _check(operand, names)
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITH:
            _check(left, names)
            _check(right, names)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            if not all(type(op) in _COMPARE for op in ops):
                raise ExpressionError(_("only == != < <= > >= in and not in compare values"), col)
            _check(left, names)
            for item in comparators:
                _check(item, names)
        case ast.Name(id=name):
            if name.startswith("_"):
                raise ExpressionError(_("'{name}' is not a field name").format(name=name), col)
            if name not in _CONSTANT_NAMES:
                names.add(name)
        case ast.Constant(value=value):
            if not isinstance(value, str | int | float | bool) and value is not None:
                raise ExpressionError(
                    _("literal {value!r} is not allowed").format(value=value), col
                )
        case ast.List(elts=items) | ast.Tuple(elts=items) | ast.Set(elts=items):
            for item in items:
                _check(item, names)
        case ast.Call():
            raise ExpressionError(_("function calls are not allowed"), col)
        case ast.Attribute():
            raise ExpressionError(_("attribute access (a.b) is not allowed"), col)
        case ast.Subscript():
            raise ExpressionError(_("indexing (a[b]) is not allowed"), col)
        case _:
            raise ExpressionError(
                _("{name} is not allowed in a condition").format(name=type(node).__name__), col
            )


class _Missing:
    """Stands for an empty field: every comparison with it is false."""


_MISSING = _Missing()


def _eval(node: ast.AST, values: Mapping[str, Any]) -> Any:
    match node:
        case ast.BoolOp(op=ast.And(), values=items):
            result: Any = True
            for item in items:
                result = _eval(item, values)
                if not _truthy(result):
                    return False
            return result
        case ast.BoolOp(op=ast.Or(), values=items):
            for item in items:
                result = _eval(item, values)
                if _truthy(result):
                    return result
            return False
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _truthy(_eval(operand, values))
        case ast.UnaryOp(op=op, operand=operand):
            value = _eval(operand, values)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return -value if isinstance(op, ast.USub) else value
            return _MISSING
        case ast.BinOp(left=left, op=op, right=right):
            a, b = _eval(left, values), _eval(right, values)
            if a is _MISSING or b is _MISSING:
                return _MISSING
            try:
                return _ARITH[type(op)](a, b)
            except (TypeError, ZeroDivisionError, ValueError):
                return _MISSING
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            a = _eval(left, values)
            for cmp, right in zip(ops, comparators, strict=True):
                b = _eval(right, values)
                if a is _MISSING or b is _MISSING:
                    return isinstance(cmp, ast.NotEq | ast.NotIn) and not (
                        a is _MISSING and b is _MISSING
                    )
                try:
                    if not _COMPARE[type(cmp)](a, b):
                        return False
                except TypeError:
                    return False
                a = b
            return True
        case ast.Name(id=name):
            if name in _CONSTANT_NAMES:
                return _CONSTANT_NAMES[name]
            value = values.get(name)
            return _MISSING if value is None or value == "" else value
        case ast.Constant(value=value):
            return value
        case ast.List(elts=items) | ast.Tuple(elts=items) | ast.Set(elts=items):
            return [_eval(item, values) for item in items]
    raise ExpressionError(
        _("{name} is not allowed").format(name=type(node).__name__)
    )  # pragma: no cover


def _truthy(value: Any) -> bool:
    return value is not _MISSING and bool(value)


def _syntax_words(msg: str) -> str:
    """Python's description of a syntax error in a condition, in the user's language for
    the usual ones (a half-written comparison, a bracket or quote left open)."""
    if msg == "invalid syntax":
        return _("invalid syntax")
    if msg == "invalid syntax. Perhaps you forgot a comma?":
        return _("invalid syntax: perhaps a comma is missing")
    if msg.endswith("was never closed"):
        return _("{bracket} was never closed").format(bracket=msg.split()[0])
    if msg.startswith(("unterminated string literal", "unterminated triple-quoted string")):
        return _("a quote is never closed")
    if msg.startswith("unmatched "):
        return _("{bracket} has no opening bracket").format(bracket=msg.split()[1])
    mismatch = re.fullmatch(
        r"closing parenthesis '(.)' does not match opening parenthesis '(.)'.*", msg
    )
    if mismatch:
        return _("{close} does not close {open}").format(close=mismatch[1], open=mismatch[2])
    return msg
