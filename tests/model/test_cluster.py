"""pose batch on a local Ray with 2 CPUs gives the local run's results, in input order."""

import json

import numpy as np
import ray

from pose.batch.cluster import ray_runner
from pose.batch.folder import BatchSettings, find_inputs, local_runner, run_batch
from tests.helpers.paths import COCO_DIR


def test_ray_run_equals_the_local_run(tmp_path, model):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    paths = [*find_inputs(COCO_DIR)[:3], bad]
    settings = BatchSettings(size="fast")
    run_batch(paths, settings, tmp_path / "local.json", local_runner(settings, model))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = run_batch(paths, settings, tmp_path / "ray.json", ray_runner(settings))
    finally:
        ray.shutdown()

    local = json.loads((tmp_path / "local.json").read_text())["inputs"]
    remote = json.loads((tmp_path / "ray.json").read_text())["inputs"]
    assert [r["file"] for r in remote] == [str(path) for path in paths]
    assert remote[-1] == local[-1] and "error" in remote[-1]  # same message as locally
    assert summary.people == sum(len(r["people"]) for r in local[:-1]) > 0
    for mine, theirs in zip(local[:-1], remote[:-1], strict=True):
        assert (theirs["image_id"], theirs["width"], theirs["height"]) == (
            mine["image_id"], mine["width"], mine["height"]
        )  # fmt: skip
        assert len(theirs["people"]) == len(mine["people"])
        for a, b in zip(mine["people"], theirs["people"], strict=True):
            # One thread per Ray worker against all cores locally: XNNPACK may sum in
            # another order, so allow float noise, not a different answer.
            ka = np.array(a["keypoints"], dtype=float)
            kb = np.array(b["keypoints"], dtype=float)
            assert np.allclose(ka, kb, atol=0.05, equal_nan=True)
    assert len(json.loads((tmp_path / "ray.coco.json").read_text())) == summary.people
