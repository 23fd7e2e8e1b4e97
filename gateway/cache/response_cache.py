"""The response cache's parts, built once from settings: the document table, the store, the
versions and their invalidation across replicas."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from gateway.cache.documents import Document, DocumentTable, Operation
from gateway.cache.invalidation import Invalidation
from gateway.cache.policy import Scope
from gateway.cache.request import CacheRequest, from_body, from_query_string
from gateway.cache.store import Entry, Link, ResponseStore
from gateway.cache.versions import Versions
from gateway.config import Settings

if TYPE_CHECKING:
    from graphql import GraphQLSchema
    from redis.asyncio import Redis

    from gateway.governance.persisted import PersistedOperations
    from resolvers.clients.viewer import Viewer


# Requests whose raw bytes (a POST body, a GET query string) were parsed before, each up to
# _MEMO_ENTRY_BYTES and all together up to _MEMO_BYTES: clients repeat byte-identical
# requests, and a dict read of the bytes costs less than parsing the JSON again.
_MEMO_ENTRY_BYTES = 16 * 1024
_MEMO_BYTES = 8 * 1024 * 1024
UNSEEN = object()  # what `parsed` answers for raw bytes it has not parsed yet


class Parsed:
    """What the cache needs of a request: its operation, canonical variables, and whether to
    look it up (a request registering a persisted query is answered by the view)."""

    __slots__ = ("lookup", "operation", "variables")

    def __init__(self, operation: Operation, variables: bytes, lookup: bool) -> None:
        self.operation = operation
        self.variables = variables
        self.lookup = lookup


class ResponseCache:
    def __init__(
        self,
        *,
        documents: DocumentTable,
        store: ResponseStore,
        versions: Versions,
        invalidation: Invalidation,
        persisted: PersistedOperations | None,
    ) -> None:
        self.documents = documents
        self.store = store
        self.versions = versions
        self.invalidation = invalidation
        self.persisted = persisted
        self.started = False
        self._memo: dict[tuple[bool, bytes], Parsed | None] = {}
        self._memo_bytes = 0

    @property
    def link(self) -> Link:
        return self.invalidation.link

    def start(self) -> None:
        """Subscribe to the other replicas' bumps (once; needs the running event loop)."""
        if not self.started:
            self.started = True
            self.invalidation.start()

    def parsed(self, raw: bytes, *, get: bool) -> object:
        """What :meth:`parse` answered for these bytes before, or ``UNSEEN``."""
        return self._memo.get((get, raw), UNSEEN)

    async def parse(self, raw: bytes, *, get: bool) -> Parsed | None:
        """The request in ``raw`` (a GET's query string, or a POST's JSON body); None when the
        cache should step aside (not a single operation, unknown document or hash)."""
        key = (get, raw)
        found = self._memo.get(key, UNSEEN)
        if found is not UNSEEN:
            return found  # type: ignore[return-value]
        request = from_query_string(raw) if get else from_body(raw)
        parsed = None
        if request is not None:
            operation = await self.operation(request)
            if operation is None:
                return None  # an unknown hash may be registered next: not remembered
            lookup = request.query is None or request.sha256 is None
            parsed = Parsed(operation, request.variables, lookup)
        if len(raw) <= _MEMO_ENTRY_BYTES and key not in self._memo:
            while self._memo and self._memo_bytes + len(raw) > _MEMO_BYTES:
                oldest = next(iter(self._memo))
                del self._memo[oldest]
                self._memo_bytes -= len(oldest[1])
            self._memo[key] = parsed
            self._memo_bytes += len(raw)
        return parsed

    @staticmethod
    def key(parsed: Parsed, viewer: Viewer | None) -> Hashable | None:
        """Where this request's answer is kept; None when it is not cacheable. The viewer
        scope is everyone for a PUBLIC policy, else the listener, or all guests together."""
        operation = parsed.operation
        if not operation.policy.cacheable:
            return None
        who: object = "*"
        if operation.policy.scope == Scope.PRIVATE:
            who = viewer.user_id if viewer is not None else "guest"
        return (operation.id, parsed.variables, who)

    def hit_headers(self, entry: Entry) -> list[tuple[bytes, bytes]]:
        """The headers a hit on ``entry`` answers with (before the outer layers add theirs)."""
        return [*entry.headers, (b"age", b"%d" % (self.store.clock() - entry.stored_at))]

    async def aclose(self) -> None:
        await self.invalidation.aclose()

    def clear(self) -> None:
        """Forget every answer (a new ranking model changes them all)."""
        self.store.clear()

    async def operation(self, request: CacheRequest) -> Operation | None:
        document: Document | None
        if request.query is not None:
            document = self.documents.by_text(request.query)
        else:
            assert request.sha256 is not None
            document = self.documents.by_hash(request.sha256)
            if document is None and self.persisted is not None:
                # A hash this process has not seen the text of: ask the persisted documents
                # (a miss path only; the view answers an unknown hash).
                query = await self.persisted.known(request.sha256)
                if query is None:
                    return None
                document = self.documents.by_text(query)
        if document is None:
            return None
        return document.operation(request.operation_name)


def build_response_cache(
    settings: Settings,
    schema: GraphQLSchema,
    *,
    persisted: PersistedOperations | None,
    redis: Redis | None,
) -> ResponseCache:
    versions = Versions(settings.response_cache_versions)
    invalidation = Invalidation(
        versions,
        redis=redis,
        url=settings.redis_url,
        ping_s=settings.response_cache_ping_s,
        timeout_s=settings.redis_timeout_s,
        # A backend finishes a write it started even past the caller's deadline (its reads
        # give up, its writes never do): by then a late commit has landed.
        settle_s=settings.request_deadline_s,
    )
    store = ResponseStore(
        max_bytes=settings.response_cache_bytes,
        max_entry_bytes=settings.response_cache_max_entry_bytes,
        versions=versions,
        link=invalidation.link,
    )
    # Dropping at once frees the memory; the epoch check alone would already refuse them.
    invalidation.on_lost = store.drop_dependent
    return ResponseCache(
        documents=DocumentTable(
            schema,
            size=settings.document_cache_size,
            max_tokens=settings.max_tokens,
            by_hash=persisted is not None and persisted.accepts_hashes,
        ),
        store=store,
        versions=versions,
        invalidation=invalidation,
        persisted=persisted,
    )
