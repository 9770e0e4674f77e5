"""This checkout's video and webcam paths against another checkout's, interleaved in one run.

    git worktree add --detach ../pose-before COMMIT && ln -s "$PWD/.venv" ../pose-before/.venv
    (link or copy the models too; see below)
    .venv/bin/python -m benchmarks.speed_ab ../pose-before [--rounds 4]

Each checkout runs in a worker process of its own (importing its own ``pose``), kept loaded
for the whole run; every round times, in turn, the original loop (this checkout's
:class:`benchmarks.speed_common.Original`), then each case in each checkout: the video path
(``process_video`` on the first 90 frames of street.avi at 640x360, the default region path,
int8) and the webcam's region path (``WebcamSession.process`` plus the JPEG, every frame of
the clip in order, on the street clip and on the COCO photos at 60 % held still: median wall
and CPU ms a frame). CPU time counts every thread of a worker: on a loaded machine it moves
far less than wall time. Medians over the rounds; the video path's ratio is to the original
loop's frames/s (wall) and CPU ms a frame (CPU) in the same rounds.

An older checkout whose int8 recipe stamp differs (``pose.network.spec.int8_recipe``) would
rebuild the int8 model into ``models/``: give it a copy of ``graph_opt.int8.tflite`` with a
``.recipe`` file holding its own stamp rather than links to the shared files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = "--worker"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker() -> None:
    """Serve JSON commands on stdin with the ``pose`` of the current directory."""
    sys.path.insert(0, os.getcwd())
    import numpy as np

    try:
        from pose.network.registry import MOTION_BACKEND, PoseModel
        from pose.video.live import WebcamSession, jpeg_data_url
        from pose.video.process import process_video
    except ImportError:  # the layout before pose was grouped by concern (2026-12-02)
        from pose.model import MOTION_BACKEND, PoseModel
        from pose.stream import WebcamSession, jpeg_data_url

        from pose.video import process_video

    model = PoseModel(backend=MOTION_BACKEND, threads=int(os.environ.get("POSE_THREADS", "2")))
    model.load()

    def video(clip: str, out: str) -> dict:
        spent, started = _cpu(), time.perf_counter()
        result = process_video(clip, out, size="balanced", model=model)
        count = len(result.frames)
        stages = {name: value * 1000 / count for name, value in result.stage_cpu_seconds.items()}
        return {"fps": count / (time.perf_counter() - started),
                "cpu_ms": (_cpu() - spent) * 1000 / count, "stages": stages}  # fmt: skip

    def webcam(frames: str) -> dict:
        session, walls, cpus = WebcamSession(), [], []
        for index, frame in enumerate(np.load(frames)):
            spent, started = _cpu(), time.perf_counter()
            jpeg_data_url(session.process(frame, mirrored=True, smooth=True, model=model).display)
            if index >= 2:  # the first frames set up the region path's interpreters
                walls.append((time.perf_counter() - started) * 1000)
                cpus.append((_cpu() - spent) * 1000)
        return {"ms": statistics.median(walls), "cpu_ms": statistics.median(cpus)}

    def original(clip: str) -> dict:
        from benchmarks.speed_common import Original

        loop = Original()
        spent, fps = _cpu(), loop.clip_fps(Path(clip))
        return {"fps": fps, "cpu_ms": (_cpu() - spent) * 1000 / 90}  # the clip has 90 frames

    commands = {"video": video, "webcam": webcam, "original": original}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        print(json.dumps(commands[command.pop("kind")](**command)), flush=True)


class Worker:
    """A worker process in ``tree``."""

    def __init__(self, tree: Path) -> None:
        python = tree / ".venv" / "bin" / "python"
        self.process = subprocess.Popen(
            [str(python), str(Path(__file__).resolve()), WORKER], cwd=tree, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
        if not json.loads(self.process.stdout.readline()).get("ready"):
            raise RuntimeError(f"the worker in {tree} did not start")

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def clips(folder: Path) -> dict[str, dict]:
    """The cases' commands: the street clip as a file, both clips' frames as .npy."""
    import numpy as np

    from benchmarks.speed_region import small_people_frames, street_clip_frames, write_frames

    street = street_clip_frames(90)
    np.save(folder / "street.npy", np.stack(street))
    np.save(folder / "small.npy", np.stack(small_people_frames(90)))
    clip = str(write_frames(street, folder / "street.mp4"))
    return {
        "original loop": {"kind": "original", "clip": clip},
        "video path (street clip)": {"kind": "video", "clip": clip},
        "webcam, street clip": {"kind": "webcam", "frames": str(folder / "street.npy")},
        "webcam, COCO photos at 60 %": {"kind": "webcam", "frames": str(folder / "small.npy")},
    }


def report(samples: dict, names: list[str]) -> None:
    base = samples["original loop"]["this"]
    base_fps = statistics.median(s["fps"] for s in base)
    base_cpu = statistics.median(s["cpu_ms"] for s in base)
    print(f"  original loop: {base_fps:.2f} frames/s, {base_cpu:.0f} CPU-ms a frame")
    for case, by_name in samples.items():
        for name in names if case != "original loop" else []:
            runs = by_name[name]
            cpu = statistics.median(s["cpu_ms"] for s in runs)
            if "fps" in runs[0]:
                fps = statistics.median(s["fps"] for s in runs)
                print(f"  {case}, {name}: {fps / base_fps:.2f}x wall ({fps:.1f} frames/s), "
                      f"{base_cpu / cpu:.2f}x by CPU ({cpu:.1f} CPU-ms a frame)")  # fmt: skip
            else:
                wall = statistics.median(s["ms"] for s in runs)
                print(f"  {case}, {name}: {wall:.1f} ms wall, {cpu:.1f} CPU-ms a frame")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (with .venv and models)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    from benchmarks.common import cpu_model

    trees = {"this": Path(__file__).resolve().parents[1], "other": args.other.resolve()}
    workers = {name: Worker(tree) for name, tree in trees.items()}
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs; other = {trees['other']}")
    with tempfile.TemporaryDirectory(prefix="pose-ab-") as tmp:
        cases = clips(Path(tmp))
        samples: dict = {case: {name: [] for name in workers} for case in cases}
        for round_ in range(args.rounds + 1):  # a warm-up round, then the timed ones
            for case, command in cases.items():
                for name in workers if command["kind"] != "original" else ["this"]:
                    extra = {"out": f"{tmp}/{name}.mp4"} if command["kind"] == "video" else {}
                    result = workers[name].ask(**command, **extra)
                    if round_ > 0:
                        samples[case][name].append(result)
            print(f"  round {round_} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    for process in workers.values():
        process.close()
    report(samples, list(workers))
    return 0


if __name__ == "__main__":
    if WORKER in sys.argv:
        worker()
    else:
        sys.exit(main())
