"""The photo mode choice through the launched app: accurate by default, fast on request."""

import json
from pathlib import Path

import pytest
from gradio_client import handle_file

from tests.helpers.paths import COCO_DIR

PHOTO = COCO_DIR / "000000196141.jpg"  # people from 96 to 300 pixels tall


def people_in(json_path: str) -> list[dict]:
    return json.loads(Path(json_path).read_text())["people"]


def test_estimate_image_is_accurate_by_default_and_fast_on_request(client):
    photo = handle_file(str(PHOTO))
    *_, default_json, _, default_summary = client.predict(
        photo, "balanced", 0.1, False, api_name="/estimate_image"
    )
    *_, accurate_json, _, accurate_summary = client.predict(
        photo, "balanced", 0.1, False, mode="accurate", api_name="/estimate_image"
    )
    *_, fast_json, _, fast_summary = client.predict(
        photo, "balanced", 0.1, False, mode="fast", api_name="/estimate_image"
    )
    assert "3 passes" in default_summary and "3 passes" in accurate_summary
    assert "passes" not in fast_summary and "Found" in fast_summary
    assert people_in(default_json) == people_in(accurate_json)
    assert people_in(fast_json) != people_in(accurate_json)
    assert len(people_in(accurate_json)) >= len(people_in(fast_json)) >= 1


def test_match_images_takes_the_mode(client):
    photo = handle_file(str(COCO_DIR / "000000000785.jpg"))
    for mode in ("fast", "accurate"):
        *_, result = client.predict(
            photo, photo, "normalized", False, 1, 1, mode, api_name="/match_images"
        )
        assert result["similarity"] == pytest.approx(100.0)


def test_an_unknown_mode_is_refused(client):
    with pytest.raises(Exception, match="slow"):
        client.predict(
            handle_file(str(PHOTO)), "balanced", 0.1, False, mode="slow", api_name="/estimate_image"
        )


def test_the_api_documents_the_mode(client):
    parameters = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for endpoint in ("/estimate_image", "/match_images"):
        names = [item["parameter_name"] for item in parameters[endpoint]["parameters"]]
        assert names[-1] == "mode"
        assert parameters[endpoint]["parameters"][-1]["parameter_default"] == "accurate"
