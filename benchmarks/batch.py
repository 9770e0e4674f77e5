"""Images per second of ``pose batch``: the local run against a local Ray, same photos, same run.

    .venv/bin/python -m benchmarks.batch [--size balanced] [--rounds 2] [--ray-cpus 2]

Runs every photo in ../shared/eval/photos and ../shared/eval/coco (24 images; ``--repeat``
times each) through :func:`pose.batch.folder.run_batch`, alternating in each round:

- **local**: one process, the process-wide model on every core (loaded before timing);
- **ray**: a local Ray started once with ``--ray-cpus`` CPUs before timing (its start-up is
  printed apart), then one actor per CPU, each with a one-thread model. The timed part
  includes starting the actors and loading their models, as every ``pose batch --ray``
  run pays it.

Prints images per second per run and the Ray/local ratio of each round (the figure to quote
on a shared machine: both sides of a ratio ran under the same load), the CPU model and the
date. Also checks that both give the same number of people.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import EVAL_DIR, cpu_model
from pose.batch.folder import BatchSettings, find_inputs, local_runner, run_batch
from pose.network.registry import PoseModel, get_model


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="balanced", help="input size preset (default: balanced)")
    parser.add_argument("--rounds", type=int, default=2, help="local+ray rounds (default: 2)")
    parser.add_argument("--ray-cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each photo this many times (as links with other names), to spread Ray's "
        "per-run start of actors and models over more images (default: 1)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)

    import ray

    photos = find_inputs(EVAL_DIR / "photos") + find_inputs(EVAL_DIR / "coco")
    links = tempfile.TemporaryDirectory()
    paths = linked_copies(photos, args.repeat, Path(links.name))
    settings = BatchSettings(size=args.size)
    model = get_model(settings.backend)
    model.load()
    started = time.perf_counter()
    ray.init(num_cpus=args.ray_cpus, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    print(f"{len(paths)} images ({len(photos)} photos x {args.repeat}), size {args.size}, "
          f"{cpu_model()}, {os.cpu_count()} cores, {datetime.date.today().isoformat()}; "
          f"Ray ({args.ray_cpus} CPUs) started in {ray_start:.1f} s")  # fmt: skip
    try:
        rows = timed_rounds(paths, settings, model, args.rounds)
    finally:
        ray.shutdown()
        links.cleanup()
    people = {row["people"] for row in rows}
    if len(people) != 1:
        print(f"WARNING: the runs found different numbers of people: {sorted(people)}")
    if args.json:
        print(json.dumps(rows))


def linked_copies(photos: list[Path], repeat: int, folder: Path) -> list[Path]:
    """``repeat`` links in ``folder`` to each of ``photos``, named ``{copy}_{name}`` so that
    every link is an image of its own."""
    paths = []
    for copy in range(repeat):
        for photo in photos:
            paths.append(folder / f"{copy}_{photo.name}")
            paths[-1].symlink_to(photo.resolve())
    return paths


def timed_rounds(
    paths: list[Path], settings: BatchSettings, model: PoseModel, rounds: int
) -> list[dict]:
    """``rounds`` rounds of :func:`run_batch` over ``paths``, local (``model``) then on the
    started Ray, each printed with the round's Ray/local ratio; one row per run (images/s,
    seconds, people)."""
    from pose.batch.cluster import ray_runner

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        runners = {"local": local_runner(settings, model), "ray": ray_runner(settings)}
        for number in range(1, rounds + 1):
            rates = {}
            for name, runner in runners.items():
                out = Path(folder) / f"{name}{number}.json"
                summary = run_batch(paths, settings, out, runner)
                rates[name] = summary.per_second
                rows.append(
                    {"round": number, "run": name, "images_per_s": round(summary.per_second, 3),
                     "seconds": round(summary.seconds, 2), "people": summary.people}
                )  # fmt: skip
                print(f"round {number} {name:<5}: {summary.per_second:5.2f} images/s "
                      f"({summary.seconds:.1f} s, {summary.people} people)")  # fmt: skip
            print(f"round {number} ray/local: {rates['ray'] / rates['local']:.2f}x")
    return rows


if __name__ == "__main__":
    main()
