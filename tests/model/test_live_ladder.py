"""The page's ladder of inputs (web/live/ladder.js), run in node on simulated devices with
the server's list of rungs (``/live/spec.json``: 192x144 up to the server's own 432x320): a
device that keeps up climbs rung by rung to the top, this machine's WASM stays at the
bottom, a device that slows down steps down, and a rung that turned out dearer than its
estimate is not tried again (no oscillation)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess

from tests.helpers.paths import ROOT
from ui.live_assets import live_spec

CAMERA_FPS = 30
WORKERS = 2
DWELL = 20  # ladder.js: frames measured at a rung before deciding
REST_MS = 8.0  # cut, resize and decode in a worker
# Network ms per input cell. This machine's WASM, int8, one thread a worker, two workers
# busy: about 45 ms at 192x144 (models/browser.py). A WebGPU laptop: a few ms at 432x320.
WASM_HERE = 45 / (192 * 144)
LAPTOP = 4 / (432 * 320)


def rungs_of(phases: list[dict], tmp_path, camera_fps: float = CAMERA_FPS) -> list[int]:
    """The rung of every frame as the ladder chose it over ``phases`` ([{frames, perCell:
    one ms per cell for every rung}])."""
    rungs = live_spec()["ladder"]
    case = {"rungs": rungs, "workers": WORKERS, "cameraFps": camera_fps, "rest": REST_MS}
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**case, "phases": phases}))
    node = shutil.which("node")
    assert node, "node is missing: `make setup` installs it (Debian's nodejs)"
    done = subprocess.run(
        [node, str(ROOT / "tests" / "helpers" / "live_ladder.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def steps(rungs: list[int]) -> int:
    return sum(a != b for a, b in itertools.pairwise(rungs))


def test_a_fast_device_climbs_to_the_servers_input_and_this_machine_stays_at_the_bottom(
    tmp_path,
):
    top = len(live_spec()["ladder"]) - 1
    fast = rungs_of([{"frames": 200, "perCell": [LAPTOP] * (top + 1)}], tmp_path)
    # One rung at a time, each after DWELL frames measured there, then it stays on top.
    assert fast[: top * DWELL + 1] == [r for r in range(top) for _ in range(DWELL)] + [top]
    assert set(fast[top * DWELL :]) == {top}
    assert live_spec()["ladder"][top]["width"] == 432
    slow = rungs_of([{"frames": 200, "perCell": [WASM_HERE] * (top + 1)}], tmp_path)
    assert set(slow) == {0}
    # The same machine with a slow camera (the tests' 10 frames/s) affords larger inputs,
    # not the top one.
    slow_camera = rungs_of([{"frames": 200, "perCell": [WASM_HERE] * (top + 1)}], tmp_path, 10)
    assert 0 < slow_camera[-1] < top


def test_it_steps_down_when_it_falls_behind_and_does_not_oscillate(tmp_path):
    top = len(live_spec()["ladder"]) - 1
    rungs = rungs_of(
        [
            {"frames": 200, "perCell": [LAPTOP] * (top + 1)},
            # Another tab takes the GPU: 20 times as slow; one rung down is enough.
            {"frames": 400, "perCell": [20 * LAPTOP] * (top + 1)},
        ],
        tmp_path,
    )
    assert rungs[199] == top
    assert rungs[199 + DWELL + 1] == top - 1, rungs[199 : 199 + DWELL + 2]
    assert set(rungs[199 + DWELL + 1 :]) == {top - 1}
    # A device whose top rung costs twice its estimate per cell (memory-bound at large
    # sizes): it tries the top once, falls back, and stays below it.
    dearer = [LAPTOP * 10] * top + [LAPTOP * 20]
    rungs = rungs_of([{"frames": 1000, "perCell": dearer}], tmp_path)
    assert rungs.count(top) == DWELL and rungs[-1] == top - 1
    assert steps(rungs) == top + 1
