"""The typed per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ranking.experiments import ExperimentPlan
from resolvers.clients import Clients
from resolvers.clients.viewer import Viewer
from resolvers.entities import Entities
from resolvers.limits import Limits
from resolvers.loaders import Loaders, build_loaders
from resolvers.search_weights import SearchWeights

if TYPE_CHECKING:
    from ranking.core import RankingCore
    from resolvers.clients.spans import Spans


class RankingHolder:
    """The served ranking model, swappable at run time without a restart."""

    def __init__(self, models_dir: Path, spans: Spans | None = None) -> None:
        self.models_dir = models_dir
        self._core: RankingCore | None = None
        self._lock = threading.Lock()
        # With tracing on, the resolvers get a proxy timing each ranking call in a span.
        self._spans = spans

    @property
    def core(self) -> RankingCore:
        if self._core is None:
            self.reload()
        assert self._core is not None
        return self._core

    def reload(self) -> str:
        # Heavy numpy work stays out of import time.
        from ranking.blas import single_threaded
        from ranking.core import RankingCore

        # A process that serves the model ranks each listener on one BLAS thread, with no
        # thread pool on the request path (ranking/blas.py says why).
        single_threaded()
        with self._lock:
            core = RankingCore.load(self.models_dir)
            # The proxy has the core's attributes and methods (each call in a span).
            self._core = (
                core
                if self._spans is None
                else cast("RankingCore", self._spans.calls(core, "ranking"))
            )
            version: str = core.version
            return version


@dataclass(frozen=True, slots=True)
class Services:
    """Process-wide collaborators, built once at start-up."""

    clients: Clients
    ranking: RankingHolder
    limits: Limits
    search_weights: SearchWeights
    experiments: ExperimentPlan = field(default_factory=ExperimentPlan)


@dataclass(slots=True)
class Context:
    request: Any
    viewer: Viewer | None
    loaders: Loaders
    services: Services
    # The catalog records this request has read, filled in batches (resolvers/entities.py).
    entities: Entities
    # Entries merged into the response's top-level `extensions`.
    extensions: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, request: Any, viewer: Viewer | None, services: Services) -> Context:
        clients = services.clients
        return cls(request, viewer, build_loaders(clients), services, Entities(clients.catalog))
