"""What the people's looks cost the video path: street.avi with and without them, A/B.

    .venv/bin/python -m benchmarks.appearance_cost [--rounds 3]

Runs the video's stream of people (:class:`pose.video.stream.PeopleStream`, default settings:
region path, tracking) over ../shared/eval/video/street.avi with ``appearance`` on and off,
interleaved (on, off, off, on, ...) so that a machine busy with other work weighs on both
alike. Prints per setting the median over rounds of the process's CPU milliseconds per frame
(all threads), of the follow stage's (where the looks are taken: decode, looks, tracking),
and of the wall time, then the difference. Looks cost a few tens of microseconds a person
(:mod:`pose.video.appearance`); the figures say whether that holds on the whole path.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time

from benchmarks.common import cpu_model
from benchmarks.tracking import SOURCE
from pose.video.stream import PeopleStream, StreamOptions


def one_run(appearance: bool) -> tuple[float, float, float]:
    """(process CPU ms, follow-stage CPU ms, wall ms) per frame of one pass over street.avi."""
    cpu, wall = time.process_time(), time.perf_counter()
    with PeopleStream(SOURCE, StreamOptions(appearance=appearance)) as stream:
        frames = sum(1 for _ in stream)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    follow = stream.stage_cpu_seconds.get("draw", 0.0)
    return tuple(1000 * value / max(frames, 1) for value in (cpu, follow, wall))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    one_run(False)  # warm-up: the model loads, the file is cached
    results: dict[bool, list[tuple[float, float, float]]] = {True: [], False: []}
    for round_ in range(args.rounds):
        for appearance in (True, False) if round_ % 2 == 0 else (False, True):
            results[appearance].append(one_run(appearance))
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {cpu_model()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{SOURCE.name}, {args.rounds} interleaved rounds, medians in ms per frame")
    print(f"{'looks':>6} {'CPU (all threads)':>18} {'follow stage CPU':>17} {'wall':>8}")
    medians = {}
    for appearance in (False, True):
        columns = list(zip(*results[appearance], strict=True))
        medians[appearance] = [statistics.median(column) for column in columns]
        cpu, follow, wall = medians[appearance]
        print(f"{'on' if appearance else 'off':>6} {cpu:>18.2f} {follow:>17.2f} {wall:>8.1f}")
    cpu, follow, wall = (on - off for on, off in zip(medians[True], medians[False], strict=True))
    print(f"{'diff':>6} {cpu:>+18.2f} {follow:>+17.2f} {wall:>+8.1f}")


if __name__ == "__main__":
    main()
