"""Serving ranking experiments: which variant a request gets, recorded and logged once.

The plan (``ranking/experiments.py``) says who gets what; serving a variant records it in
the response's ``extensions`` (``{"experiments": {NAME: VARIANT}}``) and logs one exposure
event per request.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ranking.experiments import CONTROL, Surface, Variant

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context

EXTENSION_KEY = "experiments"

log = logging.getLogger("crossfade.experiments")


def expose(ctx: Context, viewer: Viewer | None, surface: Surface) -> Variant:
    """The variant this request serves on ``surface`` (control when none runs or the listener
    is anonymous), recorded in the response extensions and logged once per request."""
    experiment = ctx.services.experiments.on(surface)
    if experiment is None or viewer is None:
        return CONTROL
    variant = experiment.assign(viewer.handle)
    served: dict[str, str] = ctx.extensions.setdefault(EXTENSION_KEY, {})
    if served.get(experiment.name) != variant.name:
        served[experiment.name] = variant.name
        log.info(
            "experiment exposure",
            extra={
                "fields": {
                    "event": "exposure",
                    "experiment": experiment.name,
                    "variant": variant.name,
                    "surface": surface,
                    "user": viewer.handle,
                }
            },
        )
    return variant
