"""Movement comparison with known answers: alignment, scores, repetition counts, speed.

    .venv/bin/python -m benchmarks.sequence [--seed 0] [--reps 5]

The model runs once per clip and run (it is the slow part); every test clip is then built
from those per-frame poses, so the right answer is known:

- ``reference`` (camera 1): ../shared/eval/video/street.avi (205 frames, 50 fps) cut to the
  720 x 720 pixels around the two women in its centre, and the largest person in each frame
  as the video's stream of people (:func:`pose.video.stream.people_stream`) finds them: the
  women hug (frames 0-95, two bodies in one: the detection is unsteady), part (95-130), and
  one walks towards the camera (130-205);
- ``camera 2``: the same frames seen by another camera (turned 6 degrees, 80 % the size,
  shifted), written to a video and run through the model again: the same movement with
  other pixels, so other detection noise, position and size;
- attempts: ``camera 2``'s poses time-warped by a known map (slowed, sped up, paused,
  frames dropped, uneven speed, all at once); each attempt frame t shows source frame
  warp[t], so the mean frame error of an alignment is the mean over its pairs (i, t) of
  |i - warp[t]|, in reference frames (20 ms each);
- different movements: the second-largest person in the clip, the reference with the arms
  raised (shoulder-elbow-wrist turned up), also with the legs spread, played backwards, and
  the walker of ../shared/eval/video/demo.mp4 (5 fps: also a different frame rate);
- repetitions: a segment of camera 1 as the reference (the hug, the parting, a stride) and
  an attempt of N copies of it from camera 2, each at its own speed (0.7-1.4x), some with a
  pause, with a held pose between them and one copy with the arms 40 degrees off (the
  weakest); prints the count, the boundary error and the scores;
- trust (:mod:`benchmarks.sequence_trust`, printed first): every person of a piece of
  street.avi and demo.mp4 against time-warped and slowed copies of the same pixels, through
  the model, before and after following one re-joined track; three identical repetitions;
  angle jumps;
- speed: aligning and scoring two 10 s, 30 fps clips (300 frames each; the poses looped),
  against a baseline timed in the same run: the same work with one :func:`pose.match.match`
  call per frame pair (measured on a slice, scaled) and a pure-Python DTW loop. Also
  dtaidistance and tslearn when importable (they are not requirements: see docs/sequence.md).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import pickle
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEMO, STREET
from benchmarks.sequence_trust import trust_section
from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.match import MatchError, match
from pose.media.video_reader import iter_frames, open_video, probe_video
from pose.media.video_writer import VideoWriter
from pose.sequence import (
    ALIGN_METHODS,
    PoseSequence,
    compare_sequences,
    cost_matrix,
    dtw,
    find_repetitions,
    person_sequence,
)
from pose.video.stream import StreamOptions, people_stream

WINDOWS = (None, 0.1, 0.3)


# The reference: street.avi cut to the 720 x 720 pixels around the people nearest the camera,
# so that they fill the frame as in a filmed exercise (the whole 1280 x 720 frame leaves them
# about 60 px tall at the model's input, where wrists are guesswork).
CROP = (slice(None), slice(380, 1100))


def camera_one(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[CROP])


def camera_two(image: np.ndarray) -> np.ndarray:
    """The same scene from another camera: turned 6 degrees, 80 % the size, shifted."""
    image = camera_one(image)
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 6.0, 0.8)
    matrix[:, 2] += (0.08 * width, 0.05 * height)
    return cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_CONSTANT)


def write_view(source: Path, target: Path, view) -> None:
    """Write ``source`` seen through ``view`` (a function of an RGB frame) to ``target``."""
    container, info = open_video(source)
    try:
        writer = None
        for _, _, image in iter_frames(container, info):
            image = view(image)
            if writer is None:
                writer = VideoWriter(target, image.shape[1], image.shape[0], info.fps)
            writer.write(image)
        writer.close()
    finally:
        container.close()


def poses_of(path: Path, cache: Path | None = None) -> tuple[list[tuple[Pose, ...]], float]:
    """People per frame and the frame rate, as compare-videos finds them. ``cache``: a
    folder keeping them between runs (keyed by file name, size and time)."""
    stat = path.stat()
    stored = cache and cache / f"{path.name}.{stat.st_size}.{int(stat.st_mtime)}.pkl"
    if stored and stored.is_file():
        return pickle.loads(stored.read_bytes())
    fps = float(probe_video(path).fps)
    found = ([frame.people for frame in people_stream(path, StreamOptions(smooth=True))], fps)
    if stored:
        stored.write_bytes(pickle.dumps(found))
    return found


def warps(length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Known time maps: attempt frame t shows source frame warp[t]."""
    frames = np.arange(length)
    t = np.linspace(0.0, 1.0, round(length * 1.2))
    uneven = t + 0.12 * np.sin(2 * np.pi * t)  # fast, then slow, then fast again
    uneven = (uneven - uneven[0]) / (uneven[-1] - uneven[0])
    third = length // 3
    combined = np.concatenate(
        [
            np.floor(np.arange(0, third, 0.6)).astype(int),  # slow start
            np.full(40, third),  # a 0.8 s pause
            np.arange(third, length, 1.6).astype(int),  # fast end
        ]
    )
    combined = np.sort(rng.choice(combined, round(len(combined) * 0.85), replace=False))
    return {
        "same speed": frames,
        "slowed 2x": np.repeat(frames, 2),
        "slowed 1.5x": np.floor(np.arange(0, length, 1 / 1.5)).astype(int),
        "sped up 2x": frames[::2],
        "paused 1 s": np.concatenate([frames[:90], np.full(50, 90), frames[90:]]),
        "30 % dropped": np.sort(rng.choice(frames, round(length * 0.7), replace=False)),
        "uneven speed": np.round(uneven * (length - 1)).astype(int),
        "all at once": combined,
    }


def warped(sequence: PoseSequence, warp: np.ndarray, name: str) -> PoseSequence:
    """``sequence`` played by source frame numbers ``warp`` (a frame where the person was
    not found shows the nearest one where they were)."""
    rows = np.clip(np.searchsorted(sequence.frames, warp), 0, len(sequence) - 1)
    earlier = np.clip(rows - 1, 0, None)
    closer = np.abs(sequence.frames[earlier] - warp) < np.abs(sequence.frames[rows] - warp)
    rows = np.where(closer, earlier, rows)
    return PoseSequence(
        sequence.keypoints[rows], np.arange(len(warp)), sequence.fps, len(warp), name
    )


def frame_error(steps: np.ndarray, reference: PoseSequence, source: np.ndarray) -> float:
    """Mean |reference frame - true source frame| over the aligned pairs (rows ``steps``)."""
    return float(np.abs(reference.frames[steps[:, 0]] - source[steps[:, 1]]).mean())


def turn_limbs(
    keypoints: np.ndarray, limbs: tuple[tuple[Joint, Joint, Joint, float], ...], angle: float
) -> np.ndarray:
    """``keypoints`` with each limb (root, middle, end joint, sign) turned about its root by
    ``angle`` degrees times its sign (opposite signs keep a left/right pair symmetric)."""
    out = keypoints.copy()
    for root, middle, end, sign in limbs:
        theta = math.radians(angle) * sign
        rotation = np.array(
            [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]]
        )
        centre = out[..., root, None, :2]
        for joint in (middle, end):
            out[..., joint, :2] = ((out[..., joint, None, :2] - centre) @ rotation.T)[
                ..., 0, :
            ] + centre[..., 0, :]
    return out


def arms_raised(keypoints: np.ndarray, angle: float = 120.0) -> np.ndarray:
    """Both arms turned up about the shoulders by ``angle`` degrees (a different movement)."""
    arms = (
        (Joint.R_SHOULDER, Joint.R_ELBOW, Joint.R_WRIST, 1.0),
        (Joint.L_SHOULDER, Joint.L_ELBOW, Joint.L_WRIST, -1.0),
    )
    return turn_limbs(keypoints, arms, angle)


def table(rows: list[list[str]]) -> None:
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def alignment_section(reference: PoseSequence, camera: PoseSequence, rng) -> None:
    print("\n## Alignment against known time warps (camera 2's poses; mean frame error, frames)")
    header = (
        ["attempt", "frames"]
        + [
            f"{method}{'' if window is None else f' w{window:g}'}"
            for method in ALIGN_METHODS
            for window in WINDOWS
        ]
        + ["similarity %"]
    )
    rows = [header]
    totals: dict[tuple[str, float | None], list[float]] = {}
    seconds: dict[tuple[str, float | None], float] = {}
    for name, warp in warps(len(reference), rng).items():
        source = reference.frames[warp]
        attempt = warped(camera, source, name)
        row = [name, str(len(warp))]
        score = None
        for method in ALIGN_METHODS:
            for window in WINDOWS:
                started = time.perf_counter()
                result = compare_sequences(reference, attempt, method, window)
                seconds[(method, window)] = (
                    seconds.get((method, window), 0.0) + time.perf_counter() - started
                )
                error = frame_error(result.steps, reference, source)
                totals.setdefault((method, window), []).append(error)
                row.append(f"{error:.2f}")
                if (method, window) == ("procrustes", 0.3):
                    score = result.similarity
        row.append(f"{score:.1f}")
        rows.append(row)
    rows.append(["mean", ""] + [f"{np.mean(totals[key]):.2f}" for key in totals] + [""])
    rows.append(["seconds", ""] + [f"{seconds[key]:.2f}" for key in totals] + [""])
    table(rows)


def spread_legs(keypoints: np.ndarray, angle: float = 35.0) -> np.ndarray:
    """Both legs turned outwards about the hips by ``angle`` degrees."""
    legs = (
        (Joint.R_HIP, Joint.R_KNEE, Joint.R_ANKLE, 1.0),
        (Joint.L_HIP, Joint.L_KNEE, Joint.L_ANKLE, -1.0),
    )
    return turn_limbs(keypoints, legs, angle)


def edited(sequence: PoseSequence, keypoints: np.ndarray, name: str) -> PoseSequence:
    return PoseSequence(keypoints, sequence.frames, sequence.fps, sequence.total, name)


def movement_section(reference, camera, street, fps, demo, demo_fps) -> dict[str, float]:
    print("\n## Scores: the same movement against different ones (procrustes, window 0.3)")
    cases = {
        "same movement, camera 2": camera,
        "same, camera 2, slowed 1.5x + paused": warped(
            camera,
            np.concatenate([np.arange(0, 100), np.full(40, 100), np.arange(100, 205)])[
                np.floor(np.arange(0, 245, 1 / 1.5)).astype(int)
            ],
            "slowed",
        ),
        "another person in the clip": person_sequence(street, fps, "person 2", person=2),
        "arms raised 120 deg": edited(camera, arms_raised(camera.keypoints), "arms raised"),
        "arms raised + legs spread": edited(
            camera, spread_legs(arms_raised(camera.keypoints)), "jumping jack"
        ),
        "played backwards": edited(camera, camera.keypoints[::-1], "backwards"),
    }
    rows = [["attempt", "frames", "similarity %", "verdict"]]
    scores = {}
    for name, attempt in cases.items():
        result = compare_sequences(reference, attempt)
        scores[name] = result.similarity
        rows.append([name, str(len(attempt)), f"{result.similarity:.1f}", result.verdict])
    # demo.mp4: another street, another walker, 5 fps against the reference's first second.
    first = reference.segment(0.0, 1.0)
    other = person_sequence(demo, demo_fps, "demo.mp4")
    result = compare_sequences(first, other)
    rows.append(
        [
            f"demo.mp4 walker ({demo_fps:g} fps) vs 1st s",
            str(len(other)),
            f"{result.similarity:.1f}",
            result.verdict,
        ]
    )
    same = compare_sequences(first, camera.segment(0.0, 1.0))
    rows.append(
        [
            f"camera 2's 1st s ({fps:g} fps) vs 1st s",
            str(len(camera.segment(0.0, 1.0))),
            f"{same.similarity:.1f}",
            same.verdict,
        ]
    )
    table(rows)
    return scores


def repetition_clip(
    camera: PoseSequence, cycle: tuple[int, int], copies: int, rng: np.random.Generator
) -> tuple[PoseSequence, list[tuple[int, int]], int]:
    """``copies`` of camera 2's frames ``cycle`` (source frames, inclusive), each at its own
    speed, some with a pause, still stretches between, one with the arms raised. Returns
    the clip, each copy's true (start, end) frames, and the copy with the arms raised."""
    start, end = cycle
    still = np.full(25, 0)  # standing at the clip's first frame, between repetitions
    pieces, spans = [still], []
    weak = int(rng.integers(copies))
    position = len(still)
    for _ in range(copies):
        speed = rng.uniform(0.7, 1.4)
        frames = np.arange(start, end + 1, speed).astype(int)
        if rng.random() < 0.4:  # a pause of 0.3-0.6 s somewhere inside
            at = int(rng.integers(len(frames) // 4, 3 * len(frames) // 4))
            frames = np.insert(frames, at, np.full(int(rng.integers(15, 30)), frames[at]))
        spans.append((position, position + len(frames) - 1))
        pieces.append(frames)
        gap = np.full(int(rng.integers(20, 40)), 0)
        pieces.append(gap)
        position += len(frames) + len(gap)
    source = np.concatenate(pieces)
    clip = warped(camera, source, "repetitions")
    points = clip.keypoints.copy()
    lo, hi = spans[weak]
    points[lo : hi + 1] = arms_raised(points[lo : hi + 1], 40.0)
    return edited(clip, points, f"{copies} repetitions"), spans, weak


SEGMENTS = {(40, 95): "hug", (100, 150): "parting", (120, 175): "stride", (150, 200): "stride"}


def repetition_section(reference, camera, copies, rng) -> None:
    print("\n## Repetitions: one stride (camera 1) against clips of N varied copies (camera 2)")
    rows = [
        [
            "stride",
            "N",
            "frames",
            "found",
            "boundary error",
            "scores % (weakest *)",
            "weak copy flagged",
            "s",
        ]
    ]
    miscounts = []
    for cycle in ((40, 95), (100, 150), (120, 175), (150, 200)):
        rep = reference.segment(cycle[0] / reference.fps, cycle[1] / reference.fps)
        for count in (1, 3, copies, copies + 3):
            clip, spans, weak = repetition_clip(camera, cycle, count, rng)
            started = time.perf_counter()
            result = find_repetitions(rep, clip)
            seconds = time.perf_counter() - started
            errors = []
            for found in result.reps:
                nearest = min(
                    spans, key=lambda span: abs(span[0] - found.start) + abs(span[1] - found.end)
                )
                errors.append((abs(nearest[0] - found.start) + abs(nearest[1] - found.end)) / 2)
            flagged = [r for r in result.reps if r.weakest]
            hit = bool(flagged) and abs(flagged[0].start - spans[weak][0]) < 15
            miscounts.append(abs(result.count - count))
            rows.append(
                [
                    f"{cycle[0]}-{cycle[1]} {SEGMENTS[cycle]}",
                    str(count),
                    str(len(clip)),
                    str(result.count),
                    f"{np.mean(errors):.1f}" if errors else "-",
                    " ".join(f"{r.score:.0f}{'*' if r.weakest else ''}" for r in result.reps),
                    "-" if count == 1 else ("yes" if hit else "no"),
                    f"{seconds:.2f}",
                ]
            )
    table(rows)
    print(
        f"exact counts: {miscounts.count(0)} of {len(miscounts)}; boundary error in frames (20 ms)"
    )


def best(function, rounds: int = 5) -> float:
    """The fastest of ``rounds`` runs of ``function()``, seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def ten_second_clips(
    reference: PoseSequence, camera: PoseSequence
) -> tuple[PoseSequence, PoseSequence]:
    """Two 10 s, 30 fps sequences (300 frames each): ``reference`` played back and forth,
    and ``camera``'s same frames warped in time by a sine."""
    loop = np.concatenate([np.arange(len(reference)), np.arange(len(reference) - 2, 0, -1)])
    loop = np.resize(loop, 300)
    ref = PoseSequence(reference.keypoints[loop], np.arange(300), 30.0, 300, "10 s reference")
    t = np.linspace(0, 1, 300)
    warp = np.round((t + 0.1 * np.sin(2 * np.pi * t)) * 299).clip(0, 299).astype(int)
    att = PoseSequence(camera.keypoints[loop[warp]], np.arange(300), 30.0, 300, "10 s attempt")
    return ref, att


def baseline_times(ref: PoseSequence, att: PoseSequence, cost: np.ndarray) -> tuple[float, float]:
    """The naive way, seconds: one match() call per pair (20 rows timed, scaled to 300), and
    DTW as a plain Python loop over ``cost`` (N, M)."""
    rows = 20

    def per_pair() -> None:
        for i in range(rows):
            for j in range(300):
                with contextlib.suppress(MatchError):
                    match(Pose(ref.keypoints[i]), Pose(att.keypoints[j]))

    def python_dtw() -> None:
        n, m = cost.shape
        table_ = [[math.inf] * (m + 1) for _ in range(n + 1)]
        table_[0][0] = 0.0
        for i in range(1, n + 1):
            row, above, costs = table_[i], table_[i - 1], cost[i - 1].tolist()
            for j in range(1, m + 1):
                row[j] = costs[j - 1] + min(above[j], row[j - 1], above[j - 1])

    return best(per_pair, 1) * 300 / rows, best(python_dtw, 2)


def library_rows(ref: PoseSequence, att: PoseSequence, cost: np.ndarray) -> list[list[str]]:
    """Rows for the DTW libraries, when installed: tslearn (first call compiles) and
    dtaidistance (raw positions only)."""
    rows = []
    try:
        import tslearn.metrics

        def tslearn_path():
            return tslearn.metrics.dtw_path_from_metric(cost, metric="precomputed")

        started = time.perf_counter()
        tslearn_path()  # the first call compiles (numba)
        first_call = time.perf_counter() - started
        rows.append(["tslearn dtw_path_from_metric, first call (compiles)", f"{first_call:.2f}"])
        rows.append(["tslearn dtw_path_from_metric, compiled", f"{best(tslearn_path):.4f}"])
    except ImportError:
        rows.append(["tslearn", "not installed"])
    try:
        from dtaidistance import dtw_ndim

        flat = [
            np.ascontiguousarray(seq.keypoints[:, :, :2].reshape(len(seq), -1), dtype=np.double)
            for seq in (ref, att)
        ]
        rows.append(
            [
                "dtaidistance dtw_ndim.warping_path (raw positions only, C)",
                f"{best(lambda: dtw_ndim.warping_path(*flat, use_c=True)):.4f}",
            ]
        )
    except ImportError:
        rows.append(["dtaidistance", "not installed"])
    return rows


def speed_section(reference: PoseSequence, camera: PoseSequence) -> None:
    print("\n## Speed: align and score two 10 s, 30 fps clips (300 frames each), model time aside")
    ref, att = ten_second_clips(reference, camera)
    ours = best(lambda: compare_sequences(ref, att))
    ours_nowindow = best(lambda: compare_sequences(ref, att, window=None))
    cost = cost_matrix(ref.keypoints, att.keypoints)
    cost_time = best(lambda: cost_matrix(ref.keypoints, att.keypoints))
    dtw_time = best(lambda: dtw(cost, 0.3))
    pairs, loop_time = baseline_times(ref, att, cost)
    reps = best(lambda: find_repetitions(ref.segment(0, 1.5), att), 2)
    table(
        [
            ["step", "seconds"],
            ["compare_sequences (cost + DTW + scores + worst), window 0.3", f"{ours:.3f}"],
            ["compare_sequences, no window", f"{ours_nowindow:.3f}"],
            ["  of which: cost matrix (procrustes, 300 x 300)", f"{cost_time:.3f}"],
            ["  of which: DTW (NumPy, per-row vectorised)", f"{dtw_time:.4f}"],
            ["find_repetitions (1.5 s reference in the 10 s attempt)", f"{reps:.3f}"],
            ["baseline: match() per pair (90,000 calls, from 6,000)", f"{pairs:.2f}"],
            ["baseline: DTW as a Python loop", f"{loop_time:.3f}"],
            *library_rows(ref, att, cost),
        ]
    )
    print(
        f"ratio: per-pair match() + Python DTW take {(pairs + loop_time) / ours:.0f}x "
        "as long as compare_sequences"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reps", type=int, default=5, help="copies in the repetition clip")
    parser.add_argument(
        "--cache", type=Path, help="keep per-frame poses in this folder between runs"
    )
    parser.add_argument(
        "--trust-only", action="store_true", help="only the trust tables (sequence_trust)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rng = np.random.default_rng(args.seed)
    trust_rng = np.random.default_rng(args.seed)  # its own: the other tables keep their draws
    with tempfile.TemporaryDirectory() as folder:
        trust_section(args.cache or Path(folder), args.cache, trust_rng, table)
    if args.trust_only:
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        clips = {}
        for name, view in (("camera1", camera_one), ("camera2", camera_two)):
            path = (args.cache or folder) / f"street_{name}.mp4"
            if not path.is_file():
                write_view(STREET, path, view)
            clips[name] = poses_of(path, args.cache)
        demo, demo_fps = poses_of(DEMO, args.cache)
        frames = sum(len(people) for people, _ in clips.values()) + len(demo)
        print(f"model: {frames} frames in {time.perf_counter() - started:.0f} s (not timed below)")
    street, fps = clips["camera1"]
    reference = person_sequence(street, fps, "camera 1")
    camera = person_sequence(clips["camera2"][0], fps, "camera 2")
    print(
        f"reference: {len(reference)} of {reference.total} frames with the person; "
        f"camera 2: {len(camera)}"
    )
    alignment_section(reference, camera, rng)
    movement_section(reference, camera, street, fps, demo, demo_fps)
    repetition_section(reference, camera, args.reps, rng)
    speed_section(reference, camera)
    import subprocess

    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in cpu.splitlines()
            if line.startswith("Model name")
        ),
        "?",
    )
    print(f"\nCPU: {model}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
