"""Range queries on materialised unit paths ("/1/9/130/") and on name prefixes.

`path LIKE '/1/9/%'` reads a whole index on SQLite (Django's LIKE carries an ESCAPE clause,
which turns SQLite's prefix optimisation off) and, on PostgreSQL, cannot use an index whose
order also serves a sort. The same subtree is the half-open range
`'/1/9/' <= path < '/1/90'`: every string starting with the prefix sorts inside it, and
nothing else does, as long as strings compare code point by code point. SQLite compares
that way by default (BINARY); on PostgreSQL the column is compared under the "C" collation,
and the indexes that serve these ranges are built on the same expression.
"""

from django.db.models import BooleanField, Expression, F, Func, Q, Value


class Bytewise(Func):
    """A text column compared code point by code point, whatever the database's collation."""

    arity = 1
    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template='%(expressions)s COLLATE "C"', **extra_context
        )


def prefix_end(prefix: str) -> str | None:
    """The smallest string above every string that starts with `prefix`; None when there is
    none (the prefix is only the last code point, repeated)."""
    if not prefix:
        raise ValueError("an empty prefix has no end")
    stripped = prefix.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000  # surrogates are not characters: no text holds them
    return stripped[:-1] + chr(following)


def starts_with(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as a range an index on Bytewise(field) answers."""
    column = Bytewise(F(field))
    end = prefix_end(prefix)
    lower = Q(at_least(column, prefix))
    return lower if end is None else lower & Q(below(column, end))


class _Compare(Func):
    """`(a, b, …) op (x, y, …)`: a row-value comparison (SQLite ≥ 3.15, PostgreSQL), which
    both databases answer by seeking in an index on (a, b, …) — the keyset of a pager."""

    output_field = BooleanField()
    operator = ""

    def __init__(self, columns: list[Expression], values: list, operator: str):
        if len(columns) != len(values) or not columns:
            raise ValueError("columns and values differ in length")
        self.operator = operator
        super().__init__(*columns, *(Value(v) for v in values))

    def as_sql(
        self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context
    ):
        parts: list[str] = []
        params: list = []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        half = len(parts) // 2
        left, right = ", ".join(parts[:half]), ", ".join(parts[half:])
        return f"({left}) {self.operator} ({right})", params


def at_least(column: Expression, value) -> _Compare:
    return _Compare([column], [value], ">=")


def below(column: Expression, value) -> _Compare:
    return _Compare([column], [value], "<")


def rows_after(columns: list[Expression], values: list) -> _Compare:
    return _Compare(columns, values, ">")


def rows_before(columns: list[Expression], values: list) -> _Compare:
    return _Compare(columns, values, "<")
