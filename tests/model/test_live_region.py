"""Where the page runs the network (web/live/region.js), run in node on the server's list of
inputs (``/live/spec.json``): a person as tall as the frame is cut at the frame's height on a
narrower input than the whole frame's, at its pixel scale, still holding the person; smaller
people and wide groups get a magnified 4:3 crop; the whole frame comes back when nobody was
found and every 15 frames."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.helpers.node import run_node
from ui.live_assets import live_spec

FRAME = (640, 480)
WHOLE_EVERY = 15


def person(x0: float, y0: float, x1: float, y1: float) -> dict:
    """A person whose 18 joints spread over the box (x0, y0)-(x1, y1), all found."""
    xs = np.linspace(x0, x1, 18)
    ys = np.linspace(y0, y1, 18)[np.random.default_rng(0).permutation(18)]
    return {"keypoints": [[float(x), float(y), 0.8] for x, y in zip(xs, ys, strict=True)]}


def regions(cases: list[dict], tmp_path) -> list[dict]:
    spec = live_spec()
    inputs = [*spec["cropInputs"], spec["input"]]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([{**c, "size": FRAME, "inputs": inputs} for c in cases]))
    return json.loads(run_node("live_region.mjs", str(path)))


def holds(region: dict, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    return (
        region["x"] <= x0
        and region["y"] <= y0
        and x1 <= region["x"] + region["w"]
        and y1 <= region["y"] + region["h"]
    )


def test_a_person_as_tall_as_the_frame_runs_on_a_narrower_input(tmp_path):
    skier, spread = (300, 100, 480, 390), (100, 60, 560, 430)  # arms spread: too wide
    tall, wide = regions(
        [{"people": [person(*skier)], "frame": 1}, {"people": [person(*spread)], "frame": 2}],
        tmp_path,
    )
    # The 4:3 crop would be the whole frame: the full height is cut, only as wide as the
    # skier and margin need, at the whole frame's pixel scale.
    full = live_spec()["input"]
    assert tall["input"]["width"] < full["width"], tall
    assert (tall["y"], tall["h"]) == (0, FRAME[1]) and tall["w"] < FRAME[0]
    assert holds(tall, skier) and tall["x"] >= 0 and tall["x"] + tall["w"] <= FRAME[0]
    assert tall["w"] / tall["input"]["width"] == pytest.approx(FRAME[1] / full["height"], 0.01)
    assert (wide["x"], wide["y"], wide["w"], wide["h"]) == (0, 0, *FRAME)
    assert wide["input"] == full


def test_smaller_people_get_a_magnified_4_3_crop_and_whole_frames_return(tmp_path):
    far, group = (
        [person(200, 200, 240, 290)],
        [person(100, 200, 200, 300), person(330, 210, 430, 300)],
    )
    small, wide, nobody, due = regions(
        [
            {"people": far, "frame": 1},
            {"people": group, "frame": 2},
            {"people": [], "frame": 3},
            {"people": far, "frame": WHOLE_EVERY},
        ],
        tmp_path,
    )
    full = live_spec()["input"]
    for region, box in ((small, (200, 200, 240, 290)), (wide, (100, 200, 430, 300))):
        assert region["input"] == full and holds(region, box), region
        assert abs(region["w"] / region["h"] - full["width"] / full["height"]) < 0.01
    # Someone far away is magnified, but at most 3x (a crop a third of the frame wide).
    assert small["w"] == round(FRAME[0] / 3)
    for region in (nobody, due):
        assert (region["x"], region["y"], region["w"], region["h"]) == (0, 0, *FRAME)
        assert region["input"] == full
