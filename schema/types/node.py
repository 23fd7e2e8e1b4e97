"""The Relay ``Node`` interface: anything refetchable by its global ID."""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with a global ID, refetchable with `node(id:)` (Relay convention)."
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque global ID; pass it to `node(id:)` to refetch this object."
    )
