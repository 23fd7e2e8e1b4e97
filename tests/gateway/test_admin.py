"""The operator's model reload: a missing model is a refusal in the API's own vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.app import GatewayClient


@pytest.mark.anyio
async def test_reloading_without_a_trained_model_is_a_conflict(
    client: GatewayClient, tmp_path: Path
) -> None:
    # given a gateway whose models folder holds no trained model
    ranking = client.app.state.services.ranking
    served = ranking.core.version
    ranking.models_dir = tmp_path
    # when the operator asks for a reload
    response = await client.post("/admin/reload-model", json={})
    # then it is refused as a conflict with the server's state, and the old model keeps serving
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "CONFLICT"}
    assert ranking.core.version == served
