"""``@cacheControl``: how long an answer may be reused, and whether for everyone or only for
the listener who asked. Types and fields declare it; the gateway's response cache
(``gateway/cache/policy.py``) takes, once per document, the strictest scope and the smallest
max-age among the fields an operation selects. Mutations are never cached.

- ``PUBLIC``: the same for everyone who may see it (the catalog, listeners' public profiles
  and playlists);
- ``PRIVATE``: depends on who asks (personal data, and anything whose visibility does);
- ``NO_CACHE``: must be computed for every request.

A field without a declaration takes its type's, else its parent field's; a root field without
one (on itself or its type) is ``NO_CACHE``, so a new root field is live until declared.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.schema_directive import Location


@strawberry.enum(description="Who may be served a cached answer.")
class CacheControlScope(Enum):
    PUBLIC = strawberry.enum_value("PUBLIC", description="Anyone: the answer is the same for all.")
    PRIVATE = strawberry.enum_value(
        "PRIVATE", description="Only the listener who asked (guests share one scope)."
    )
    NO_CACHE = strawberry.enum_value("NO_CACHE", description="No one: compute it every time.")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT, Location.INTERFACE, Location.UNION],
    name="cacheControl",
    description="How long (seconds) and for whom a response selecting this may be reused.",
)
class CacheControl:
    max_age: int | None = None
    scope: CacheControlScope | None = None


# The declarations the schema uses, one per kind of data. Writes through the gateway
# invalidate listeners' data at once; max-age bounds writes that bypass it.
CATALOG = CacheControl(max_age=3600, scope=CacheControlScope.PUBLIC)  # changes with an import
SHARED = CacheControl(max_age=300, scope=CacheControlScope.PUBLIC)  # public playlists, profiles
PERSONAL = CacheControl(max_age=300, scope=CacheControlScope.PRIVATE)
