"""The documents this process has seen, each parsed and validated once, and what the response
cache needs per operation on every request: an identity for keys, the policy and the metrics.

Documents are found by their text (what most clients send) or, for automatic persisted
queries, by the SHA-256 of a text seen before. The table is bounded: the oldest documents go
first (no reordering on use, so a lookup is one dict read).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, parse, validate
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from gateway.cache.policy import CachePolicy, operation_policy
from gateway.metrics import operation_label

HIT, MISS, EVICTION = 0, 1, 2
_COUNTERS = (
    ("crossfade_response_cache_hits", "Responses served from the cache."),
    ("crossfade_response_cache_misses", "Cacheable queries run because no valid entry was found."),
    (
        "crossfade_response_cache_evictions",
        "Valid entries removed: for room, or when invalidation over Redis was lost.",
    ),
)


class _Counts(Collector):
    """Hits, misses and evictions by operation as plain integers, read at scrape time: a
    hit costs an addition rather than a locked Prometheus child's increment."""

    def __init__(self) -> None:
        self.by_operation: dict[str, list[int]] = {}

    def of(self, operation: str) -> list[int]:
        return self.by_operation.setdefault(operation, [0, 0, 0])

    def collect(self) -> Iterator[CounterMetricFamily]:
        for index, (name, documentation) in enumerate(_COUNTERS):
            family = CounterMetricFamily(name, documentation, labels=["operation"])
            for operation, counts in self.by_operation.items():
                family.add_metric([operation], counts[index])
            yield family


COUNTS = _Counts()
REGISTRY.register(COUNTS)
_ids = itertools.count(1)


class Operation:
    """One operation of a known document."""

    __slots__ = ("counts", "given", "id", "name", "policy")

    def __init__(self, name: str | None, policy: CachePolicy) -> None:
        self.id = next(_ids)  # stands for document and operation in cache keys
        self.given = name  # as the document names it (None: anonymous)
        # Operation names are client input: a bounded label, as the latency metric's.
        self.name = operation_label(name)
        self.policy = policy
        # [hits, misses, evictions] of this operation's name, shared with the metrics.
        self.counts = COUNTS.of(self.name if policy.cacheable else "uncacheable")


@dataclass(frozen=True, slots=True)
class Document:
    # By operation name; an anonymous single operation is also under None.
    operations: dict[str | None, Operation]

    def operation(self, name: str | None) -> Operation | None:
        return self.operations.get(name)


_NOT_CACHEABLE = Document({})


class DocumentTable:
    def __init__(self, schema: GraphQLSchema, *, size: int, max_tokens: int, by_hash: bool) -> None:
        self._schema = schema
        self._size = size
        self._max_tokens = max_tokens
        self._by_hash_enabled = by_hash
        self._by_text: dict[str, Document] = {}
        self._by_hash: dict[str, Document] = {}
        self.compiled = 0  # documents parsed and judged (tests read it)

    def by_text(self, query: str) -> Document:
        found = self._by_text.get(query)
        if found is None:
            found = self._learn(query)
        return found

    def by_hash(self, sha256: str) -> Document | None:
        """A document whose text this process has seen; None when unknown."""
        return self._by_hash.get(sha256) if self._by_hash_enabled else None

    def _learn(self, query: str) -> Document:
        self.compiled += 1
        document = self._judge(query)
        self._remember(self._by_text, query, document)
        if self._by_hash_enabled:
            sha = hashlib.sha256(query.encode()).hexdigest()
            self._remember(self._by_hash, sha, document)
        return document

    def _remember(self, table: dict[str, Document], key: str, document: Document) -> None:
        if len(table) >= self._size:
            del table[next(iter(table))]
        table[key] = document

    def _judge(self, query: str) -> Document:
        try:
            ast = parse(query, max_tokens=self._max_tokens)
        except GraphQLError:
            return _NOT_CACHEABLE  # Strawberry answers the syntax error
        if validate(self._schema, ast):
            return _NOT_CACHEABLE
        operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
        found: dict[str | None, Operation] = {}
        for node in operations:
            name = node.name.value if node.name else None
            found[name] = Operation(name, operation_policy(self._schema, ast, node))
        if len(operations) == 1:
            only = operations[0]
            found[None] = found[only.name.value if only.name else None]
        return Document(found)
