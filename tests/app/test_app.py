"""The launched app, called through gradio_client as programmers do."""

import json
from pathlib import Path

import pytest
from gradio_client import handle_file

from tests.helpers.paths import COCO_DIR


def test_estimate_image_endpoint(client):
    annotated, table, json_path, csv_path, summary = client.predict(
        handle_file(str(COCO_DIR / "000000000785.jpg")), "balanced", 0.1, api_name="/estimate_image"
    )
    assert Path(annotated).is_file()
    payload = json.loads(Path(json_path).read_text())
    assert payload["width"] == 640 and payload["height"] == 425
    assert len(payload["people"]) >= 1
    assert len(payload["people"][0]["keypoints"]) == 18
    assert table["headers"] == ["person", "joint", "x", "y", "confidence", "angle"]
    assert len(table["data"]) >= 12
    # Joint angles: in the JSON per person, and in the table on the joint they are at.
    angles = payload["people"][0]["angles"]
    assert angles["r_knee"] is not None and 0 <= angles["r_knee"] <= 180
    knee_rows = [row for row in table["data"] if row[:2] == [1, "r_knee"]]
    assert knee_rows and knee_rows[0][5] == angles["r_knee"]
    assert Path(csv_path).read_text().startswith("person,joint,x,y,confidence")
    assert "Found" in summary


def test_non_image_gets_a_clear_message_and_app_keeps_serving(client, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a photo")
    with pytest.raises(Exception, match="not an image we can read"):
        client.predict(handle_file(str(bogus)), "balanced", 0.1, api_name="/estimate_image")
    *_, summary = client.predict(
        handle_file(str(COCO_DIR / "000000040083.jpg")), "fast", 0.1, api_name="/estimate_image"
    )
    assert "Found" in summary


def box_area(person: dict) -> float:
    """Bounding-box area of a JSON person's found joints."""
    found = [(x, y) for x, y, score in person["keypoints"] if score > 0]
    xs, ys = [x for x, _ in found], [y for _, y in found]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))


def test_estimate_image_returns_every_person_largest_first(client):
    _, table, json_path, _, summary = client.predict(
        handle_file(str(COCO_DIR / "000000197388.jpg")), "balanced", 0.1, api_name="/estimate_image"
    )
    people = json.loads(Path(json_path).read_text())["people"]
    areas = [box_area(person) for person in people]
    assert len(people) >= 4 and areas == sorted(areas, reverse=True)
    assert {row[0] for row in table["data"]} == set(range(1, len(people) + 1))
    assert f"Found {len(people)} people" in summary


def test_largest_only_keeps_one_person(client):
    photo = handle_file(str(COCO_DIR / "000000197388.jpg"))
    _, everyone, *_ = client.predict(photo, "balanced", 0.1, False, api_name="/estimate_image")
    _, largest, *_ = client.predict(photo, "balanced", 0.1, True, api_name="/estimate_image")
    assert len({row[0] for row in everyone["data"]}) >= 3
    assert {row[0] for row in largest["data"]} == {1}
