"""The typed ``Info`` every resolver receives, and helpers that read the selection."""

from __future__ import annotations

import strawberry
from strawberry.types.nodes import SelectedField

from resolvers.context import Context

Info = strawberry.Info[Context, None]


def selects_only(info: Info, allowed: frozenset[str]) -> bool:
    """True when the current field's sub-selection asks for nothing beyond ``allowed``.

    Lets a connection answer ``{ totalCount }`` from the parent record without a backend call.
    """
    for field in info.selected_fields:
        for sel in field.selections:
            if not isinstance(sel, SelectedField) or sel.name not in allowed:
                return False
    return True


COUNT_ONLY = frozenset({"totalCount", "__typename"})
