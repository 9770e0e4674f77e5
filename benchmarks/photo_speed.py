"""Time per one-megapixel photo: the fast single pass, OpenPose's accurate passes, and the
accurate photo path with BlazePose's second opinion (the default).

    .venv/bin/python -m benchmarks.photo_speed [--rounds 3] [--backend tflite]

Every labeled eval photo is resized to one megapixel (aspect kept) and estimated each way,
alternating, ``--rounds`` times; prints the median wall time of each, their ratios to the
fast pass, the CPU model and the load average. ``--turned`` also times the photos turned by
90 degrees (where the accurate path adds a turned reading). The machine may be shared: the
ratios, taken in the same run, are the figures to compare; the absolute times hold for this
load only. ``--variant key=value:...`` (repeatable) also times the photo path with those
:class:`pose.pose3d.second_opinion.FuseOptions` changes (e.g. ``views=1:mirror=false``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

import pose.network.registry
from benchmarks import eval_sets
from benchmarks.common import cpu_model
from pose.media.images import load_image
from pose.media.turn import turn_image
from pose.network.registry import get_model
from pose.photo.modes import estimate_photo
from pose.pose3d.people import estimate_people
from pose.pose3d.second_opinion import SECOND_OPINION

LABELS = {
    "fast": "fast (one pass)",
    "accurate": "OpenPose accurate (three passes)",
    "people": "accurate photo path (+ BlazePose, turned readings)",
}


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
    parser.add_argument("--turned", action="store_true", help="also the photos turned by 90")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="FuseOptions changes, key=value:... (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.backend:
        os.environ[pose.network.registry.BACKEND_ENV] = args.backend
    photos = [
        one_megapixel(load_image(photo.path))
        for item in eval_sets.SETS
        for photo in eval_sets.load_set(item)
    ]
    if args.turned:
        photos += [turn_image(image, 90)[0] for image in photos]
    model = get_model()
    ways = {
        "fast": lambda image: estimate_photo(image, "fast", model=model),
        "accurate": lambda image: estimate_photo(image, "accurate", model=model),
        "people": lambda image: estimate_people(image, "accurate", model=model),
    }
    labels = dict(LABELS)
    for index, variant in enumerate(args.variant):
        name = "variant" if index == 0 else f"variant {index + 1}"
        ways[name] = photo_path(model, variant)
        labels[name] = f"photo path, {variant}"
    load = os.getloadavg()[0]
    times, cpu, read = time_ways(ways, photos, args.rounds)
    load = max(load, os.getloadavg()[0])
    print(f"{cpu_model()}, {os.cpu_count()} cores, load average up to {load:.1f}")
    print(f"{len(photos)} photos at 1 megapixel, {args.rounds} rounds, {model.backend} backend")
    print_medians(times, cpu, read, labels)
    return 0


def photo_path(model, variant: str) -> Callable:
    """The accurate photo path with ``variant``'s FuseOptions changes ("key=value:...")."""
    from benchmarks.orientation import parse_changes

    options = replace(SECOND_OPINION, **parse_changes(variant))
    return lambda image: estimate_people(image, "accurate", model=model, options=options)


def time_ways(
    ways: dict[str, Callable], photos: list[np.ndarray], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Each way of reading a photo (``ways``: name -> function of an RGB uint8 image) run on
    every photo, alternating, ``rounds`` times after one warm-up round (models load and each
    shape's interpreter is made once). Returns wall ms and CPU ms per run, by way, and the
    people the landmark model read per run (ways that read none are left out)."""
    for run in ways.values():
        for image in photos:
            run(image)
    times: dict[str, list[float]] = {name: [] for name in ways}
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    read: dict[str, list[float]] = {name: [] for name in ways if name not in ("fast", "accurate")}
    for _ in range(rounds):
        for image in photos:
            for name, run in ways.items():
                started, started_cpu = time.perf_counter(), time.process_time()
                result = run(image)
                times[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.process_time() - started_cpu) * 1000)
                if name in read:
                    read[name].append(result.timings_ms.get("people_read", 0))
    return times, cpu, read


def print_medians(
    times: dict[str, list[float]],
    cpu: dict[str, list[float]],
    read: dict[str, list[float]],
    labels: dict[str, str],
) -> None:
    """Per way of reading a photo, the median wall and CPU ms (``times``, ``cpu``: ms per
    run, by way; ``labels`` names them) and their ratios to the fast mode's; then how many
    people the landmark model read per photo (``read``, by way), and each way's medians on
    the photos where the default path read the most people (up to its cap)."""
    print(f"{'medians per photo:':<52}wall ms   CPU ms (all threads)   / fast (wall, CPU)")
    for name, label in labels.items():
        wall, used = float(np.median(times[name])), float(np.median(cpu[name]))
        ratio = wall / np.median(times["fast"])
        cpu_ratio = used / np.median(cpu["fast"])
        print(f"{label:<52}{wall:7.0f}{used:9.0f}{ratio:18.2f}x {cpu_ratio:6.2f}x")
    print(
        f"people read by the landmark model per photo: median {np.median(read['people']):.0f}, "
        f"at most {max(read['people']):.0f}"
    )
    most = max(read["people"])
    crowded = [i for i, count in enumerate(read["people"]) if count == most]
    print(f"medians on the {len(crowded)} runs where the default read {most:.0f} people:")
    for name, label in labels.items():
        wall = float(np.median([times[name][i] for i in crowded]))
        used = float(np.median([cpu[name][i] for i in crowded]))
        print(f"{label:<52}{wall:7.0f}{used:9.0f}")


if __name__ == "__main__":
    sys.exit(main())
