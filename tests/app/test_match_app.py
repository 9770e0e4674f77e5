"""Matching through the launched app: the match endpoint and the webcam reference."""

from pathlib import Path

import pytest
from gradio_client import handle_file

from tests.helpers.paths import COCO_DIR

PHOTO_A = COCO_DIR / "000000000785.jpg"  # one skier, whole body
PHOTO_B = COCO_DIR / "000000197388.jpg"


def test_match_images_endpoint(client):
    photo = handle_file(str(PHOTO_A))
    annotated1, annotated2, score, table, overlay, result = client.predict(
        photo, photo, "normalized", False, 1, 1, api_name="/match_images"
    )
    assert Path(annotated1).is_file() and Path(annotated2).is_file()
    assert Path(overlay).is_file()
    assert result["similarity"] == pytest.approx(100.0)
    assert result["verdict"] == "Same pose"
    assert "100.0 %" in score and "Same pose" in score
    assert table["headers"] == ["joint", "difference", "unit", "score %"]
    assert len(table["data"]) == len(result["joints"]) >= 10


def test_match_images_other_method_and_person_choice(client):
    *_, table, _, result = client.predict(
        handle_file(str(PHOTO_A)),
        handle_file(str(PHOTO_B)),
        "angles",
        True,
        1,
        1,
        api_name="/match_images",
    )
    assert result["method"] == "angles"
    assert result["unit"] == "degrees"
    assert 0.0 <= result["similarity"] < 100.0
    assert {row[0] for row in table["data"]} <= {
        "r_elbow", "l_elbow", "r_shoulder", "l_shoulder", "r_hip", "l_hip", "r_knee", "l_knee",
    }  # fmt: skip
    with pytest.raises(Exception, match="person number must be 1 to"):
        client.predict(
            handle_file(str(PHOTO_A)),
            handle_file(str(PHOTO_B)),
            "normalized",
            False,
            1,
            9,
            api_name="/match_images",
        )


def test_match_images_no_person_is_a_clear_error(client, empty_photo):
    with pytest.raises(Exception, match="No person found in image 2"):
        client.predict(
            handle_file(str(PHOTO_A)),
            handle_file(str(empty_photo)),
            "normalized",
            False,
            1,
            1,
            api_name="/match_images",
        )


def test_webcam_reference_endpoint(client, empty_photo):
    info, skeleton = client.predict(handle_file(str(PHOTO_A)), api_name="/set_webcam_reference")
    assert info.startswith("Reference pose: person 1,") and "of 18 joints found" in info
    assert Path(skeleton).is_file()  # the photo with its people numbered
    info, _ = client.predict(handle_file(str(empty_photo)), api_name="/set_webcam_reference")
    assert info.startswith("No reference: No person found in the reference photo")


def test_match_images_picks_the_best_pair_by_default_and_says_so(client):
    crowd = handle_file(str(PHOTO_B))  # five people
    skier = handle_file(str(PHOTO_A))
    *_, score, _, _, auto = client.predict(skier, crowd, "normalized", False, 0, 0,
                                           api_name="/match_images")  # fmt: skip
    assert auto["auto"] is True and auto["people2"] >= 4
    assert f"person {auto['person2']} of {auto['people2']} in image 2" in score
    assert "The pair that matches best" in score
    # Every fixed choice of person in image 2 scores no higher than the automatic pair.
    for number in range(1, min(auto["people2"], 6) + 1):
        try:
            *_, fixed = client.predict(skier, crowd, "normalized", False, 1, number,
                                       api_name="/match_images")  # fmt: skip
        except Exception:  # too few joints shared with that person
            continue
        assert fixed["auto"] is False and fixed["person2"] == number
        assert fixed["similarity"] <= auto["similarity"] + 1e-6
