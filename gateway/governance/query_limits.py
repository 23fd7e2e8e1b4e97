"""Query-limit validation rules whose errors carry ``extensions.code = QUERY_TOO_COMPLEX``.

Strawberry's depth and alias limiters report plain validation errors, which a client cannot
tell apart from a typo; wrapped here, they say "simplify the query" in a code. The token
limit is a parse error and gets its code in ``gateway/view.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from graphql import GraphQLError, ValidationContext
from graphql.validation import ASTValidationRule

from resolvers.clients.errors import ErrorCode


class _CodingContext:
    """Forwards to the real validation context, adding a code to each error reported."""

    def __init__(self, context: ValidationContext, code: str) -> None:
        self._context = context
        self._code = code

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": self._code}
        self._context.report_error(error)


def _with_code(rule: type[ASTValidationRule], code: str) -> type[ASTValidationRule]:
    class Coded(rule):  # type: ignore[valid-type, misc]
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(cast(ValidationContext, _CodingContext(context, code)))

    Coded.__name__ = Coded.__qualname__ = rule.__name__
    return Coded


def too_complex(rules: Iterable[type[ASTValidationRule]]) -> list[type[ASTValidationRule]]:
    """The same rules, their errors coded QUERY_TOO_COMPLEX."""
    return [_with_code(rule, ErrorCode.QUERY_TOO_COMPLEX.value) for rule in rules]
