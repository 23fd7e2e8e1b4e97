"""The search index's terms in memory, for typo correction.

Candidate terms come from a trigram index (a term one or two edits away shares most of its
trigrams with the typo), so a correction checks a few hundred terms rather than the whole
vocabulary with the comparatively slow pure-Python edit distance.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections import Counter, defaultdict

# Only the terms sharing the most trigrams are checked; the true neighbours rank first.
MAX_CHECKED = 150
MAX_CORRECTIONS = 3


def max_edits(token: str) -> int:
    return 1 if len(token) <= 4 else 2


def trigrams(term: str) -> set[str]:
    padded = f"  {term} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def edit_distances(a: str, b: str, bound: int) -> tuple[int, int]:
    """Damerau-Levenshtein (optimal string alignment) distance from ``a`` to ``b`` and to the
    closest prefix of ``b`` (so a half-typed misspelled word still finds its term), each
    ``bound + 1`` once it is certainly above ``bound``. One table yields both."""
    above = bound + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        ca = a[i - 1]
        for j in range(1, len(b) + 1):
            cb = b[j - 1]
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        # Every later row is at least this row's minimum: stop once all of it is too far.
        if min(current) > bound:
            return above, above
        before, previous = previous, current
    return min(previous[-1], above), min(min(previous), above)


def edit_distance(a: str, b: str, bound: int) -> int:
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    return edit_distances(a, b, bound)[0]


class Vocabulary:
    """Every indexed term with its document frequency."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.terms = sorted(counts)
        self._lengths = [len(term) for term in self.terms]
        self._by_trigram: dict[str, list[int]] = defaultdict(list)
        for index, term in enumerate(self.terms):
            for gram in trigrams(term):
                self._by_trigram[gram].append(index)

    @classmethod
    def load(cls, conn: sqlite3.Connection, table: str) -> Vocabulary:
        return cls(dict(conn.execute(f"SELECT term, doc_count FROM {table}").fetchall()))

    def __contains__(self, term: str) -> bool:
        return term in self.counts

    def has_prefix(self, prefix: str) -> bool:
        index = bisect.bisect_left(self.terms, prefix)
        return index < len(self.terms) and self.terms[index].startswith(prefix)

    def corrections(self, token: str, *, prefix: bool) -> list[str]:
        """The closest terms, best first; empty if none is within ``max_edits``. With
        ``prefix``, a term may also match by its beginning (the token is still being typed)."""
        bound = max_edits(token)
        grams = trigrams(token)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._by_trigram.get(gram, ()))
        # An edit changes at most 4 of a word's trigrams (a transposition), so a closer term
        # keeps the rest; the token's last, end-padded trigram is no help to a prefix.
        least = max(1, len(grams) - 4 * bound - prefix)
        lengths = self._lengths
        low, high = len(token) - bound, (1 << 30) if prefix else len(token) + bound
        scored: list[tuple[int, int, bool, int, str]] = []
        for index, count in shared.most_common(MAX_CHECKED):
            if count < least:
                break
            if not low <= lengths[index] <= high:
                continue
            term = self.terms[index]
            full, start = edit_distances(token, term, bound)
            best = min(full, start) if prefix else full
            if best <= bound:
                # People rarely mistype a word's first letter, so "gost" means "ghost" before
                # "most"; among equals the more common term is the likelier meaning.
                rank = (best, full, term[0] != token[0])
                scored.append((*rank, -self.counts[term], term))
        if not scored:
            return []
        scored.sort()
        # Only the equally close terms: a query for every neighbour would drown the results.
        return [item[4] for item in scored if item[:3] == scored[0][:3]][:MAX_CORRECTIONS]
