"""Sweeps of the photo path's fusion options, upright and turned, on every set, fast.

    .venv/bin/python -m benchmarks.fusion_sweep --methods fused,fused:mirror=true [--sets ...]

The same loop and table as ``benchmarks.accuracy --turned`` (:mod:`benchmarks.orientation`),
with the models' answers cached on disk (``--cache``, keyed by the image's bytes and the
call's arguments): OpenPose's passes (:func:`pose.photo.modes.run_pass`), the person
detector (:func:`pose.pose3d.people.detect`) and each landmark crop
(:func:`pose.pose3d.topdown.lift_crop`). So after a first run only the fusion re-runs, and
variants that cut new crops read only those. The figures equal the benchmark's (the cache
returns what the model returned); the times printed are not the models' (see
``benchmarks.photo_speed``).
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
from pathlib import Path

import numpy as np

from benchmarks import eval_sets
from benchmarks.orientation import finder, format_table, score_turned
from benchmarks.turned import ANGLES

DEFAULT_CACHE = Path("/tmp/pose-fusion-sweep.pkl")


def _digest(image: np.ndarray) -> str:
    data = np.ascontiguousarray(image)
    return f"{data.shape}:{hashlib.blake2b(data.tobytes(), digest_size=16).hexdigest()}"


def install_cache(store: dict) -> None:
    """Wrap the three model calls so their answers come from ``store`` when seen before."""
    import pose.photo.modes as modes
    import pose.pose3d.people as people
    import pose.pose3d.topdown as topdown

    run_pass, detect, lift_crop = modes.run_pass, people.detect, topdown.lift_crop

    def cached(key, compute):
        if key not in store:
            store[key] = compute()
        return store[key]

    def run_pass_cached(model, image, box, threshold, params=modes.DEFAULT_PARAMS, flip=False,
                        timings=None):  # fmt: skip
        key = ("pass", _digest(image), tuple(box), threshold, repr(params), flip)
        return cached(key, lambda: run_pass(model, image, box, threshold, params, flip, timings))

    def detect_cached(image, options=people.SECOND_OPINION):
        wanted = (options.dark_side, options.dark_clahe, options.dark_detection,
                  options.min_detection)  # fmt: skip
        return cached(("detect", _digest(image), wanted), lambda: detect(image, options))

    def lift_crop_cached(image, crop, model, mirror=False, agree=0.0, zoom=1.0):
        key = ("lift", _digest(image), crop.centre, crop.side, crop.angle, mirror)
        if mirror and (agree, zoom) != (0.0, 1.0):
            key += (agree, zoom)
        return cached(key, lambda: lift_crop(image, crop, model, mirror, agree, zoom))

    modes.run_pass = run_pass_cached
    people.detect = detect_cached
    topdown.lift_crop = lift_crop_cached


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="fused", help="as benchmarks.accuracy --methods")
    parser.add_argument("--sets", default=",".join(item.name for item in eval_sets.SETS))
    parser.add_argument("--angles", default=",".join(str(a) for a in ANGLES))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    store = pickle.loads(args.cache.read_bytes()) if args.cache.exists() else {}
    install_cache(store)
    sets = [item for item in eval_sets.SETS if item.name in args.sets.split(",")]
    angles = [int(a) for a in args.angles.split(",") if a]
    finders = {name: finder(name) for name in args.methods.split(",")}
    try:
        table, _ = score_turned(finders, sets, angles)
    finally:
        args.cache.write_bytes(pickle.dumps(store))
    print(format_table(table, angles))


if __name__ == "__main__":
    main()
