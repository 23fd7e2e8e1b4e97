"""Settings are the one place a default lives, and they name every backend once."""

from __future__ import annotations

import dataclasses

from backends.names import BACKENDS
from gateway.config import OPERATIONS_DIR, Settings
from gateway.services import cache_config, call_policy, limits, search_weights


def test_every_backend_has_a_url_setting_and_nothing_else_does() -> None:
    urls = {name.removesuffix("_url") for name in Settings.model_fields if name.endswith("_url")}
    assert urls - {"redis", "jwks"} == set(BACKENDS)


def test_lower_config_objects_are_built_from_settings() -> None:
    # given settings that change one value of each object
    settings = Settings(
        backend_timeouts={"search": 0.25},
        entity_cache_size=7,
        max_nodes=3,
        max_tracks_per_edit=4,
        search_weight_affinity=0.5,
    )
    # then each object carries it: none of them has a default of its own
    assert call_policy(settings, "search").timeout_s == 0.25
    assert call_policy(settings, "catalog").timeout_s == settings.backend_timeout_s
    assert cache_config(settings).entity_size == 7
    assert (limits(settings).max_nodes, limits(settings).max_tracks_per_edit) == (3, 4)
    assert search_weights(settings).affinity == 0.5
    for built in (call_policy(settings, "search"), cache_config(settings), limits(settings)):
        assert all(
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            for f in dataclasses.fields(built)
        )


def test_the_operations_ship_inside_the_repository() -> None:
    names = sorted(path.stem for path in OPERATIONS_DIR.glob("*.graphql"))
    assert names == [
        "HomeFeed",
        "Library",
        "MadeForYou",
        "Node",
        "Playlist",
        "PlaylistEdits",
        "Search",
    ]
    assert Settings().operations_dir == OPERATIONS_DIR
