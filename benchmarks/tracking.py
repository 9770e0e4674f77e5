"""Person tracking on a real clip: ID switches and fragmentation against a checked reference.

    .venv/bin/python -m benchmarks.tracking [--render DIR] [--every-png 8]

Runs the video's stream of people (:class:`pose.video.stream.PeopleStream`, default settings) on
../shared/eval/video/street.avi (205 frames at 50 fps, a panning camera, people crossing and
hiding each other), then runs :class:`pose.video.track.PoseTracker` over the found people with
several settings and scores each against the reference in ``benchmarks/data/street_tracks.json``.

The reference: seven people, each a list of ``[frame, x, y]`` anchors (the mean of the
joints found on them, in pixels). It was derived from this clip's detections in two steps:
(1) a cautious linker joined people in consecutive frames only, and only when their joints
moved less than 0.2 body heights (:func:`cautious_tracklets`: at 50 fps people move about
0.03 a frame); it broke at every gap, leaving 25 pieces of 5 frames or more (831 of 909
people found) and 48 shorter ones, which are left out of the reference (fragments, duplicate
detections); (2) the pieces were put together into people by eye, from crops of each piece's
first, middle and last frame and from whole frames (``--render``): the woman in black with a
tan bag (W), the man with a white bag (M, nine pieces), the grey-haired man by the lamp post
(G), the woman in the blue jacket (B, who hugs A at first: the model sees one person there),
the woman with a red bag (R), the man with a backpack (K) and the woman in teal holding a
sign (A, seen apart from B from frame 125). Where two detections of one person overlap in a
frame, the longer piece's is kept.

In each frame, people found are matched to the reference people by the distance of their
anchors (Hungarian assignment, at most 0.25 body heights). Then, as in CLEAR-MOT:

- **ID switches**: times a reference person's ID differs from the one they had the last
  time they were matched (a person hidden for a while who comes back with a new ID counts);
- **fragmentation**: IDs a reference person got beyond their first (pieces they were split into);
- **takeovers**: IDs that were on more than one reference person (one ID jumping to someone else).

The row "re-joined" is the default tracker's IDs after :func:`pose.video.rejoin.rejoin_ids`
(pieces of one body and tracks broken by an occlusion joined over the whole clip): the IDs
compare-videos and count-reps follow a person by.

Prints these for each setting, with the tracker's time per frame next to the model's time per
frame in the same run (the CPU: ``lscpu``). ``--render DIR`` writes every ``--every-png``-th
frame with the IDs (white) and reference names (yellow), to check the reference by eye.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from benchmarks.common import EVAL_DIR, cpu_model
from pose.video.rejoin import rejoin_ids
from pose.video.track import PoseTracker, TrackerParams, _assign, body_height, match_cost

SOURCE = EVAL_DIR / "video" / "street.avi"
REFERENCE = Path(__file__).resolve().parent / "data" / "street_tracks.json"
MATCH_GATE = 0.25  # body heights between a person found and a reference anchor

Frames = list[list[np.ndarray]]  # per frame, the (18, 3) keypoints of each person found
Looks = list[list[np.ndarray | None]]  # per frame, each person's look (pose.video.appearance)


@dataclass(frozen=True)
class Score:
    people: int  # reference people seen
    matched: int  # person-frames matched to the reference
    ids: int  # distinct IDs the tracker gave out
    switches: int
    fragmentation: int
    takeovers: int


def anchor(keypoints: np.ndarray) -> np.ndarray:
    """(2,) mean of the found joints of (18, 3) keypoints."""
    return keypoints[keypoints[:, 2] > 0, :2].mean(axis=0)


def load_reference(path: Path = REFERENCE) -> dict[str, dict[int, np.ndarray]]:
    """name -> {frame: (2,) anchor}."""
    data = json.loads(path.read_text())
    return {
        name: {int(f): np.array([x, y]) for f, x, y in rows}
        for name, rows in data["people"].items()
    }


def reference_labels(
    frames: Frames, reference: dict[str, dict[int, np.ndarray]], indices: Sequence[int]
) -> list[dict[int, str]]:
    """For each frame (source frame numbers ``indices``), person index -> reference name."""
    labels = []
    for people, index in zip(frames, indices, strict=True):
        names = [name for name, rows in reference.items() if index in rows]
        found: dict[int, str] = {}
        if names and people:
            anchors = np.array([reference[name][index] for name in names])
            mine = np.array([anchor(p) for p in people])
            heights = np.array([body_height(p) for p in people])
            cost = np.linalg.norm(anchors[:, None] - mine[None], axis=-1) / heights[None]
            rows, cols = linear_sum_assignment(cost)
            for row, col in zip(rows, cols, strict=True):
                if cost[row, col] <= MATCH_GATE:
                    found[int(col)] = names[row]
        labels.append(found)
    return labels


def score(labels: list[dict[int, str]], ids: list[list[int]]) -> Score:
    """CLEAR-MOT-style ID figures of tracker ``ids`` against reference ``labels``."""
    last: dict[str, int] = {}
    per_person: dict[str, set[int]] = {}
    per_id: dict[int, set[str]] = {}
    switches = matched = 0
    for frame_labels, frame_ids in zip(labels, ids, strict=True):
        for index, name in frame_labels.items():
            track = frame_ids[index]
            matched += 1
            if name in last and last[name] != track:
                switches += 1
            last[name] = track
            per_person.setdefault(name, set()).add(track)
            per_id.setdefault(track, set()).add(name)
    return Score(
        people=len(per_person),
        matched=matched,
        ids=len({track for frame_ids in ids for track in frame_ids}),
        switches=switches,
        fragmentation=sum(len(v) - 1 for v in per_person.values()),
        takeovers=sum(len(v) - 1 for v in per_id.values()),
    )


def run_tracker(
    frames: Frames, times: Sequence[float], params: TrackerParams, looks: Looks | None = None
) -> tuple[list[list[int]], float]:
    """IDs per frame and the tracker's mean seconds per frame (``looks``: each person's
    look per frame, as the video path takes them; None: by position and motion alone)."""
    tracker = PoseTracker(params)
    looks = looks or [None] * len(frames)
    started = time.perf_counter()
    ids = [
        tracker.update(people, t, found)
        for people, t, found in zip(frames, times, looks, strict=True)
    ]
    return ids, (time.perf_counter() - started) / max(len(frames), 1)


def cautious_tracklets(frames: Frames, gate: float = 0.2) -> list[list[int]]:
    """Step 1 of the reference: piece numbers per frame, joining people in consecutive frames
    only, when their joints moved less than ``gate`` body heights."""
    pieces: list[list[int]] = []
    next_piece = 0
    for number, people in enumerate(frames):
        labels = [-1] * len(people)
        if number and people and frames[number - 1]:
            before = np.stack(frames[number - 1])
            heights = np.array([body_height(p) for p in before])
            cost = match_cost(before, np.stack(people), heights)
            for row, col in _assign(cost, np.full(len(before), gate)):
                labels[col] = pieces[-1][row]
        for index, label in enumerate(labels):
            if label < 0:
                labels[index] = next_piece
                next_piece += 1
        pieces.append(labels)
    return pieces


def detect(
    every: int = 1, full_frames: bool = False, second_opinion: bool = False
) -> tuple[Frames, list[float], list[int], list[list[int]], float, str, Looks]:
    """People found in street.avi by the video's stream of people (default settings;
    ``full_frames``: without the region path; ``second_opinion``: with BlazePose's followed
    crops fused in): keypoints, times, source frame numbers, the stream's own (tracker) IDs,
    its wall seconds per frame, the model backend, and each person's look."""
    from pose.video.stream import PeopleStream, StreamOptions

    options = StreamOptions(
        every=every, second_opinion=second_opinion, **({"regions": None} if full_frames else {})
    )
    started = time.perf_counter()
    with PeopleStream(SOURCE, options) as stream:
        found = [frame.keypoints for frame in stream]
    seconds = time.perf_counter() - started
    return (
        [[p.keypoints.astype(np.float64) for p in f.people] for f in found],
        [f.time for f in found],
        [f.index for f in found],
        [list(f.ids) for f in found],
        seconds / max(len(found), 1),
        stream.backend,
        [list(f.looks) or [None] * len(f.people) for f in found],
    )


def render(folder: Path, frames: Frames, indices, ids, labels, every_png: int) -> None:
    """PNGs of every ``every_png``-th frame: skeletons, IDs (white), reference names (yellow)."""
    import av
    import cv2

    from pose.body.types import Pose
    from pose.output.draw import draw_poses

    folder.mkdir(parents=True, exist_ok=True)
    position = {index: n for n, index in enumerate(indices)}
    with av.open(str(SOURCE)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            n = position.get(index)
            if n is None or n % every_png:
                continue
            image = draw_poses(frame.to_ndarray(format="rgb24"), [Pose(p) for p in frames[n]])
            for person, points in enumerate(frames[n]):
                x, y = anchor(points)
                text = f"{ids[n][person]} {labels[n].get(person, '-')}"
                for colour, width in (((0, 0, 0), 6), ((255, 255, 255), 2)):
                    cv2.putText(image, text, (int(x), int(y)), 0, 1.2, colour, width)
            cv2.putText(image, f"frame {index}", (20, 50), 0, 1.5, (255, 255, 0), 4)
            cv2.imwrite(str(folder / f"frame{index:03d}.png"), image[:, :, ::-1])


def settings(frame_seconds: float) -> dict[str, TrackerParams]:
    """The tracker, and the tracker with one of its parts taken out, to show what each
    brings; ``frame_seconds`` apart, "no wait" keeps a lost track for one frame only."""
    return {
        "default": TrackerParams(),
        "no unseen-joint cost": TrackerParams(new_joint_cost=0.0),
        "no motion prediction": TrackerParams(max_speed=0.0),
        "no wait for lost people": TrackerParams(max_age=1.5 * frame_seconds),
        "no joint memory": TrackerParams(memory=0.0),
        "no looks": TrackerParams(),  # run without the people's looks (below)
    }


def print_pieces(frames: list, indices: list[int]) -> None:
    """The cautious pieces of the clip (:func:`cautious_tracklets` of each frame's people)
    and the source frames each spans (``indices``: each frame's source index)."""
    pieces = cautious_tracklets(frames)
    spans: dict[int, list[int]] = {}
    for number, labels_ in enumerate(pieces):
        for label in labels_:
            spans.setdefault(label, []).append(indices[number])
    for label, seen in spans.items():
        print(f"piece {label}: frames {seen[0]}-{seen[-1]} ({len(seen)})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--render", type=Path, help="write frames with IDs to this folder")
    parser.add_argument("--every-png", type=int, default=8, help="render every Nth frame")
    parser.add_argument("--pieces", action="store_true", help="print the cautious pieces")
    parser.add_argument(
        "--full-frames", action="store_true", help="every frame whole (no region path)"
    )
    parser.add_argument(
        "--second-opinion", action="store_true", help="the video path's second opinion on"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    reference = load_reference()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {cpu_model()}")
    print(f"{SOURCE.name}: reference of {len(reference)} people, "
          f"{sum(len(r) for r in reference.values())} person-frames")  # fmt: skip
    header = f"{'frames':>8} {'setting':<24} {'IDs':>4} {'switches':>8} {'frag.':>5} "
    header += f"{'takeovers':>9} {'matched':>7} {'tracker ms/frame':>16} {'model ms/frame':>14}"
    print(header)
    for every in (1, 2, 3):
        frames, times, indices, video_ids, model_seconds, backend, looks = detect(
            every, args.full_frames, args.second_opinion
        )
        labels = reference_labels(frames, reference, indices)
        frame_seconds = (times[-1] - times[0]) / max(len(times) - 1, 1)
        rows: list[tuple[str, list[list[int]], float]] = []
        for name, params in settings(frame_seconds).items():
            ids, seconds = run_tracker(frames, times, params, None if name == "no looks" else looks)
            if name == "default" and ids != video_ids:
                print("  (the video path's IDs differ from the tracker's run here)")
            rows.append((name, ids, seconds))
            if name == "default":
                started = time.perf_counter()
                joined = rejoin_ids(frames, ids, times, looks=looks)
                extra = (time.perf_counter() - started) / max(len(frames), 1)
                rows.append(("re-joined (followed)", joined, seconds + extra))
            if every == 1 and name == "default" and args.render:
                render(args.render, frames, indices, ids, labels, args.every_png)
        for name, ids, seconds in rows:
            result = score(labels, ids)
            print(
                f"{'1 in ' + str(every):>8} {name:<24} {result.ids:>4} {result.switches:>8} "
                f"{result.fragmentation:>5} {result.takeovers:>9} {result.matched:>7} "
                f"{seconds * 1000:>16.2f} {model_seconds * 1000:>14.1f}"
            )
        if every == 1 and args.pieces:
            print_pieces(frames, indices)
    path = "full frames" if args.full_frames else "the region path"
    path += ", second opinion" if args.second_opinion else ""
    print(f"model backend: {backend}, {path}; the model time is the whole stream's wall time")


if __name__ == "__main__":
    main()
