"""Where the page runs the network (web/live/region.js), run in node on the server's list of
inputs (``/live/spec.json``): a standing person's crop takes a narrower input than the whole
frame's at the same pixel scale or finer and still holds the person, a wide group takes the
4:3 input, and the whole frame comes back when nobody was found and every 15 frames."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np

from tests.helpers.paths import ROOT
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
    node = shutil.which("node")
    assert node, "node is missing: `make setup` installs it (Debian's nodejs)"
    done = subprocess.run(
        [node, str(ROOT / "tests" / "helpers" / "live_region.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def holds(region: dict, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    return (
        region["x"] <= x0
        and region["y"] <= y0
        and x1 <= region["x"] + region["w"]
        and y1 <= region["y"] + region["h"]
    )


def test_a_standing_persons_crop_runs_on_a_narrower_input(tmp_path):
    tall, small = (300, 100, 480, 390), (200, 200, 240, 290)  # the skier's box; someone far
    found = regions(
        [{"people": [person(*tall)], "frame": 1}, {"people": [person(*small)], "frame": 2}],
        tmp_path,
    )
    whole_scale = live_spec()["input"]["height"] / FRAME[1]
    for region, box in zip(found, (tall, small), strict=True):
        assert region["input"]["width"] < live_spec()["input"]["width"], region
        assert holds(region, box), region
        assert region["x"] >= 0 and region["y"] >= 0
        assert region["x"] + region["w"] <= FRAME[0] and region["y"] + region["h"] <= FRAME[1]
        # The crop has its input's aspect (whole pixels), so both axes scale alike ...
        aspect = region["input"]["width"] / region["input"]["height"]
        assert abs(region["w"] / region["h"] - aspect) < 0.01, region
        # ... and the person is seen at the whole frame's scale or larger.
        assert region["input"]["height"] / region["h"] >= whole_scale - 1e-9
    # Someone far away is magnified, but to at most 3x (a third of the frame's height).
    assert found[1]["h"] == round(FRAME[1] / 3)


def test_a_wide_group_takes_the_4_3_input_and_whole_frames_return(tmp_path):
    group = [person(100, 200, 200, 300), person(330, 210, 430, 300)]
    wide, nobody, due = regions(
        [
            {"people": group, "frame": 1},
            {"people": [], "frame": 2},
            {"people": [person(300, 100, 480, 390)], "frame": WHOLE_EVERY},
        ],
        tmp_path,
    )
    assert wide["input"]["width"] == live_spec()["input"]["width"] and holds(
        wide, (100, 200, 430, 300)
    )
    for region in (nobody, due):
        assert (region["x"], region["y"], region["w"], region["h"]) == (0, 0, *FRAME)
        assert region["input"]["width"] == live_spec()["input"]["width"]
