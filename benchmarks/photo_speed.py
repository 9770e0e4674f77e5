"""Time per one-megapixel photo: the fast single pass against the accurate photo mode.

    .venv/bin/python -m benchmarks.photo_speed [--rounds 3] [--backend tflite]

Every labeled eval photo is resized to one megapixel (aspect kept) and estimated in both
modes, alternating, ``--rounds`` times; prints the median wall time of each mode, their
ratio, the CPU model and the load average. The machine may be shared: the ratio, taken in
the same run, is the figure to compare; the absolute times hold for this load only.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import cv2
import numpy as np

import pose.network.registry
from benchmarks import eval_sets
from benchmarks.common import cpu_model
from pose.media.images import load_image
from pose.network.registry import get_model
from pose.photo.modes import estimate_photo


def one_megapixel(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    factor = (1e6 / (width * height)) ** 0.5
    size = (round(width * factor), round(height * factor))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=pose.network.registry.BACKENDS)
    args = parser.parse_args(argv)
    if args.backend:
        os.environ[pose.network.registry.BACKEND_ENV] = args.backend
    photos = [
        one_megapixel(load_image(photo.path))
        for item in eval_sets.SETS
        for photo in eval_sets.load_set(item)
    ]
    model = get_model()
    for mode in ("fast", "accurate"):  # load, and create each shape's interpreter once
        for image in photos:
            estimate_photo(image, mode, model=model)
    times: dict[str, list[float]] = {"fast": [], "accurate": []}
    cpu: dict[str, list[float]] = {"fast": [], "accurate": []}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        for image in photos:
            for mode in times:
                started, started_cpu = time.perf_counter(), time.process_time()
                estimate_photo(image, mode, model=model)
                times[mode].append((time.perf_counter() - started) * 1000)
                cpu[mode].append((time.process_time() - started_cpu) * 1000)
    load = max(load, os.getloadavg()[0])
    print(f"{cpu_model()}, {os.cpu_count()} cores, load average up to {load:.1f}")
    print(f"{len(photos)} photos at 1 megapixel, {args.rounds} rounds, {model.backend} backend")
    print("medians per photo:  wall ms   CPU ms (all threads)")
    for mode, label in (("fast", "fast (one pass)"), ("accurate", "accurate")):
        wall, used = float(np.median(times[mode])), float(np.median(cpu[mode]))
        print(f"{label:<18}{wall:8.0f}{used:9.0f}")
    ratio = np.median(times["accurate"]) / np.median(times["fast"])
    cpu_ratio = np.median(cpu["accurate"]) / np.median(cpu["fast"])
    print(f"accurate / fast: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
