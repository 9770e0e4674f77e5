"""Scores a coach can trust: the same footage time-warped, identical repetitions, angles.

Part of ``python -m benchmarks.sequence`` (``--trust-only`` runs this part alone). Every
clip is built in code from ../shared/eval/video/street.avi and demo.mp4 and run through the
compare-videos path (:func:`pose.sequence.compare.clip_poses`: the video path, tracking,
smoothing), so detection noise is real; each attempt frame is an exact copy of a
reference frame, so the right answer is known: the same movement, 100 % up to that noise.

- **Warped copies**: a 90-frame piece of street.avi (frames 60-149, every person in it)
  against the same frames time-warped (held, doubled, skipped) and slowed 2x; demo.mp4
  against itself slowed 3x. Before: the person is the k-th largest in each frame (the
  old default); after: the k-th most prominent re-joined track (the new default), scored
  as compare-videos scores (the measurement's noise allowed, open ends). Every
  person present in at least half of the piece is compared, matched across the two clips
  by where they are in the source frame each attempt frame copies.
- **Worst moments by a change of person**: a worst moment whose two poses are of two
  different people: on street.avi by its people checked by eye
  (``benchmarks/data/street_tracks.json``, given one to one to the people found in the
  frame, as ``benchmarks.tracking`` does), else by the reference clip's own re-joined tracks
  in the source frame (when the pose is found there).
- **Identical repetitions**: three pixel-identical copies of one stride with a held pose
  between; the weakest flagged before (the lowest score, always) and after (only beyond
  the noise, :func:`pose.sequence.repetitions.weakest_repetition`).
- **Angle jumps**: elbow and knee angles of each followed person from one frame to the
  next: jumps over 45 degrees within 0.1 s, before (the raw angles of the k-th largest in
  each frame) and after (the followed track, :func:`pose.body.angles.angle_series`).
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEMO, STREET
from benchmarks.tracking import MATCH_GATE, load_reference, reference_labels
from pose.body.angles import ANGLE_NAMES, angle_array, angle_series
from pose.body.skeleton import MIRROR
from pose.media.video_reader import iter_frames, open_video
from pose.media.video_writer import VideoWriter
from pose.sequence import (
    PoseSequence,
    SequenceError,
    compare_sequences,
    find_repetitions,
    person_sequence,
    repetitions_of_someone,
)
from pose.sequence.compare import ClipPoses, clip_poses
from pose.sequence.follow import follow_person
from pose.video.rejoin import rejoin_ids
from pose.video.track import body_height

PIECE = (60, 149)  # street.avi frames of the 90-frame piece
CHECKED = load_reference()  # street.avi's people, checked by eye (benchmarks.tracking)
JOINTS = [ANGLE_NAMES.index(name) for name in ("r_elbow", "l_elbow", "r_knee", "l_knee")]


def read_frames(path: Path, first: int = 0, last: int | None = None) -> list[np.ndarray]:
    container, info = open_video(path)
    frames = []
    try:
        for index, _, image in iter_frames(container, info):
            if index >= first:
                frames.append(image)
            if last is not None and index >= last:
                break
    finally:
        container.close()
    return frames


def write(path: Path, frames: list[np.ndarray], fps: int) -> Path:
    with VideoWriter(path, frames[0].shape[1], frames[0].shape[0], fps) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def poses(path: Path, cache: Path | None) -> ClipPoses:
    """The compare-videos path's people of a clip (kept in ``cache`` between runs)."""
    stored = cache and cache / f"trust-{path.name}.{path.stat().st_size}.pkl"
    if stored and stored.is_file():
        return pickle.loads(stored.read_bytes())
    found = clip_poses(path)
    if stored:
        stored.write_bytes(pickle.dumps(found))
    return found


def time_warp(length: int, rng: np.random.Generator) -> np.ndarray:
    """Attempt frame t shows source frame warp[t]: some held, some doubled, some skipped."""
    steps = rng.choice([0, 1, 1, 1, 2], size=length)
    steps[0] = 0
    return np.minimum(np.cumsum(steps), length - 1)


def anchor(keypoints: np.ndarray) -> np.ndarray:
    return keypoints[keypoints[:, 2] > 0, :2].mean(axis=0)


def owner(clip: ClipPoses, joined: list[list[int]], frame: int, keypoints: np.ndarray) -> int:
    """The reference's re-joined ID of the person nearest ``keypoints`` in ``frame``
    (within 0.25 body heights; -1 when nobody found there is that near)."""
    row = clip.frames.index(frame)
    people = clip.people[row]
    if not people:
        return -1
    distance = [np.linalg.norm(anchor(p.keypoints) - anchor(keypoints)) for p in people]
    nearest = int(np.argmin(distance))
    if distance[nearest] > MATCH_GATE * body_height(keypoints):
        return -1
    return joined[row][nearest]


def joined_ids(clip: ClipPoses) -> list[list[int]]:
    points = [[p.keypoints for p in found] for found in clip.people]
    times = [f / clip.info.fps for f in clip.frames]
    return rejoin_ids(points, [list(n) for n in clip.ids], times, looks=clip.looks)


def sequences(clip: ClipPoses, rank: int, after: bool, track: int | None = None):
    """Person ``rank`` (or tracking ID ``track``) of a clip, the old way or the new one."""
    fps, total = float(clip.info.fps), len(clip.frames)
    if after:
        return follow_person(
            clip.people,
            clip.ids,
            fps,
            clip.frames,
            total,
            "clip",
            person=rank,
            track=track,
            looks=clip.looks,
        )
    return person_sequence(clip.people, fps, "clip", person=rank, frames=clip.frames, ids=None)


def attempt_track(reference, ref_ids, attempt, att_ids, warp, ref_track) -> int | None:
    """The attempt's re-joined ID showing the reference's ``ref_track`` (by position in the
    source frame each attempt frame copies)."""
    votes: dict[int, int] = {}
    for row, frame in enumerate(attempt.frames):
        source = int(warp[frame])
        if source not in reference.frames:
            continue
        for pose, number in zip(attempt.people[row], att_ids[row], strict=True):
            if owner(reference, ref_ids, source, pose.keypoints) == ref_track:
                votes[number] = votes.get(number, 0) + 1
    return max(votes, key=votes.get) if votes else None


def checked_name(clip: ClipPoses, frame: int, source_frame: int, keypoints: np.ndarray):
    """The person of ``benchmarks/data/street_tracks.json`` (street.avi's people, checked by
    eye) the pose ``keypoints`` of ``clip``'s frame ``frame`` (street.avi frame
    ``source_frame``) is, or None. Named as :func:`benchmarks.tracking.reference_labels`
    names the people found in a frame: the reference's anchors go one to one to everyone
    found there (within 0.25 body heights), so a partly found person next to the one the
    reference follows is not named after them too (in the slowed copy, frame 132 shows
    W's head and arm apart from the body W and K share, which the reference calls K)."""
    row = clip.frames.index(frame)
    people = [p.keypoints.astype(np.float64) for p in clip.people[row]]
    points = keypoints.astype(np.float64)
    distance = [np.linalg.norm(anchor(p) - anchor(points)) for p in people]
    near = int(np.argmin(distance)) if people else -1
    if near < 0 or distance[near] > MATCH_GATE * body_height(points):
        people, near = [*people, points], len(people)  # not among those found: on its own
    else:
        people[near] = points
    return reference_labels([people], CHECKED, [source_frame])[0].get(near)


def changes_of_person(result, reference, attempt, ref_ids, warp, first: int | None) -> int:
    """Worst moments whose two poses belong to two different people: by the checked
    street.avi reference when both poses are in it (``first``: the street.avi frame of
    the clip's frame 0; None for other clips), else by the reference clip's own tracks."""
    count = 0
    for moment in result.worst:
        i = int(np.searchsorted(result.reference.frames, moment.reference_frame))
        j = int(np.searchsorted(result.attempt.frames, moment.attempt_frame))
        ref_pose, att_pose = result.reference.keypoints[i], result.attempt.keypoints[j]
        source = int(warp[moment.attempt_frame])
        if first is not None:
            left = checked_name(
                reference, moment.reference_frame, first + moment.reference_frame, ref_pose
            )
            right = checked_name(attempt, moment.attempt_frame, first + source, att_pose)
            if left is not None and right is not None:
                count += left != right
                continue
        left = owner(reference, ref_ids, moment.reference_frame, ref_pose)
        right = owner(reference, ref_ids, source, att_pose)
        count += left != right and min(left, right) >= 0  # -1: not found in that frame
    return count


def jumps(keypoints: np.ndarray, times: np.ndarray, after: bool) -> tuple[int, int]:
    """(jumps over 45 degrees within 0.1 s, angle values kept) of elbows and knees."""
    angles = angle_series(keypoints, times) if after else angle_array(keypoints)
    angles = angles[:, JOINTS]
    close = np.diff(times) <= 0.1
    with np.errstate(invalid="ignore"):
        big = (np.abs(np.diff(angles, axis=0)) > 45) & close[:, None]
    return int(big.sum()), int(np.isfinite(angles).sum())


def warped_cases(folder: Path, cache: Path | None, rng) -> dict[str, tuple]:
    """name -> (reference clip poses, attempt clip poses, warp), clips written to ``folder``."""
    piece = read_frames(STREET, *PIECE)
    demo = read_frames(DEMO)
    warp = time_warp(len(piece), rng)
    made = {
        "street piece": (piece, 50),
        "street time-warped": ([piece[k] for k in warp], 50),
        "street slowed 2x": ([piece[k // 2] for k in range(2 * len(piece))], 50),
        "demo": (demo, 5),
        "demo slowed 3x": ([demo[k // 3] for k in range(3 * len(demo))], 5),
    }
    clips = {}
    for name, (frames, fps) in made.items():
        path = folder / (name.replace(" ", "_") + ".mp4")
        if not path.is_file():
            write(path, frames, fps)
        clips[name] = poses(path, cache)
    slowed = np.arange(2 * len(piece)) // 2
    return {
        "street time-warped": (clips["street piece"], clips["street time-warped"], warp),
        "street slowed 2x": (clips["street piece"], clips["street slowed 2x"], slowed),
        "demo slowed 3x": (clips["demo"], clips["demo slowed 3x"], np.arange(3 * len(demo)) // 3),
    }


WHEN = {  # row label -> (follow the re-joined track, allow for the measurement's noise)
    "before": (False, False),
    "followed": (True, False),
    "after": (True, True),  # and open ends (pose.sequence.ends), as compare-videos
}


def warped_section(cases: dict[str, tuple]) -> list[list[str]]:
    """The same footage warped: every person's score, lowest moment, person changes at the
    worst moments and angle jumps; before (k-th largest per frame, the Match tab's
    tolerance), followed (the re-joined track) and after (and the noise allowed)."""
    rows = [["case", "people", "when", "mean %", "lowest %", "lowest pair %", "changes", "jumps"]]
    for name, (reference, attempt, warp) in cases.items():
        ref_ids, att_ids = joined_ids(reference), joined_ids(attempt)
        people = sorted({n for row in ref_ids for n in row})
        for when, (after, noise) in WHEN.items():
            scores, lows, changes, jumped = [], [], 0, 0
            for ref, att in _pairs(reference, attempt, ref_ids, att_ids, warp, people, after):
                # after: as compare-videos scores (the noise allowed, open ends)
                result = compare_sequences(ref, att, allow_noise=noise, open_ends=noise)
                scores.append(result.similarity)
                lows.append(float(np.nanmin(result.step_similarity)))
                first = PIECE[0] if name.startswith("street") else None
                changes += changes_of_person(result, reference, attempt, ref_ids, warp, first)
                jumped += jumps(ref.keypoints, ref.frames / ref.fps, after)[0]
            rows.append(
                [
                    name,
                    str(len(scores)),
                    when,
                    f"{np.mean(scores):.1f}" if scores else "-",
                    f"{min(scores):.1f}" if scores else "-",
                    f"{min(lows):.0f}" if lows else "-",
                    str(changes),
                    str(jumped),
                ]
            )
    return rows


def _pairs(reference, attempt, ref_ids, att_ids, warp, people, after: bool):
    """(reference sequence, attempt sequence) of each person found in at least half of
    both clips: the k-th of each (before), or the attempt's track showing the reference's."""
    for rank in range(1, len(people) + 1):
        try:
            ref = sequences(reference, rank, after)
            track = (
                attempt_track(reference, ref_ids, attempt, att_ids, warp, ref.track)
                if after
                else None
            )
            yield ref, sequences(attempt, rank, after, track)
        except SequenceError:
            continue  # in under half of the clip: not compared


def mirrored(sequence: PoseSequence) -> PoseSequence:
    """The movement done the other way round in a mirror: x reflected, sides swapped."""
    points = sequence.keypoints[:, list(MIRROR)].copy()
    found = points[..., 2] > 0
    points[..., 0] = np.where(found, -points[..., 0], 0.0)
    return replace(sequence, keypoints=points)


def reversed_in_time(sequence: PoseSequence) -> PoseSequence:
    """The movement played backwards (the same frames and times, poses in reverse)."""
    return replace(sequence, keypoints=sequence.keypoints[::-1].copy())


def negative_section(cases: dict[str, tuple]) -> list[list[str]]:
    """Different movements, which must still score low: each followed person against the
    next person of the attempt, against their own attempt reversed in time, and mirrored;
    before (the Match tab's tolerance) and after (the noise allowed)."""
    rows = [["case", "attempt", "pairs", "before mean %", "after mean %", "after max %"]]
    for name, (reference, attempt, warp) in cases.items():
        ref_ids, att_ids = joined_ids(reference), joined_ids(attempt)
        people = sorted({n for row in ref_ids for n in row})
        pairs = list(_pairs(reference, attempt, ref_ids, att_ids, warp, people, True))
        others = [(ref, pairs[(k + 1) % len(pairs)][1]) for k, (ref, _) in enumerate(pairs)]
        made = {
            "another person": others if len(pairs) > 1 else [],
            "reversed": [(ref, reversed_in_time(att)) for ref, att in pairs],
            "mirrored": [(ref, mirrored(att)) for ref, att in pairs],
        }
        for label, compared in made.items():
            before, after = [], []
            for ref, att in compared:
                try:
                    before.append(compare_sequences(ref, att, allow_noise=False).similarity)
                    after.append(compare_sequences(ref, att, open_ends=True).similarity)
                except SequenceError:
                    continue
            if after:
                rows.append([name, label, str(len(after)), f"{np.mean(before):.1f}",
                             f"{np.mean(after):.1f}", f"{max(after):.1f}"])  # fmt: skip
    return rows


def repetition_section(folder: Path, cache: Path | None) -> list[list[str]]:
    """Three pixel-identical strides, a held pose between, counted and scored."""
    rows = [["stride", "when", "found", "scores %", "weakest flagged"]]
    crop = [np.ascontiguousarray(f[:, 380:1100]) for f in read_frames(STREET, 100, 200)]
    crop = [cv2.resize(f, (360, 360), interpolation=cv2.INTER_AREA) for f in crop]
    for first, last in ((20, 75), (50, 100)):
        stride = crop[first : last + 1]
        hold = [crop[0]] * 15
        one = folder / f"stride_{first}.mp4"
        three = folder / f"three_strides_{first}.mp4"
        if not one.is_file():
            write(one, stride, 50)
            write(three, hold + stride + hold + stride + hold + stride + hold, 50)
        ref, att = poses(one, cache), poses(three, cache)
        label = f"frames {100 + first}-{100 + last}"
        for after in (False, True):
            if after:  # as count-reps reads the attempt
                result = repetitions_of_someone(sequences(ref, 1, True), att.readings())
            else:
                result = find_repetitions(sequences(ref, 1, False), sequences(att, 1, False))
            scores = [rep.score for rep in result.reps]
            if after:
                flagged = next((n for n, rep in enumerate(result.reps) if rep.weakest), None)
            else:  # the old rule: the lowest score, whatever the gap
                flagged = int(np.argmin(scores)) if len(scores) > 1 else None
            rows.append(
                [
                    label,
                    "after" if after else "before",
                    str(result.count),
                    " ".join(f"{score:.1f}" for score in scores),
                    "-" if flagged is None else f"repetition {flagged + 1}",
                ]
            )
    return rows


def trust_section(folder: Path, cache: Path | None, rng, table) -> None:
    """Print both tables (``table`` prints rows of cells)."""
    print("\n## Trust: the same footage warped, every person (before: k-th largest per frame,")
    print("## the Match tab's tolerance; followed: k-th most prominent re-joined track; after:")
    print("## followed, the noise allowed, open ends); changes = worst moments on two people;")
    print("## jumps = elbow/knee angle steps over 45 degrees within 0.1 s")
    cases = warped_cases(folder, cache, rng)
    table(warped_section(cases))
    print("\n## Trust: different movements must still score low (before: the Match tab's")
    print("## tolerance; after: the measurement's noise allowed, open ends)")
    table(negative_section(cases))
    print("\n## Trust: three pixel-identical strides through the model (weakest before/after)")
    table(repetition_section(folder, cache))
