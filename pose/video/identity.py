"""The IDs a user sees: each person's ID re-joined over the whole clip, one per body.

The online tracker (:mod:`pose.video.track`) decides frame by frame; once a clip is over,
:func:`pose.video.rejoin.rejoin_ids` mends what it broke (pieces of one body, tracks broken
by an occlusion). The annotated video, its JSON and CSV (:mod:`pose.video.process`) and the
people compare-videos and count-reps follow (:mod:`pose.sequence.follow`) all go by these
re-joined IDs, so an ID read off the Video tab picks that person in the Compare tab. The
rule: a re-joined person keeps the lowest tracker ID among theirs (or, when a tracker ID was
on two bodies, a free one); pieces of one body found apart in a frame are one person there,
each joint the more confident of the pieces'. The webcam has no whole clip: it shows the
tracker's IDs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from pose.body.skeleton import NUM_JOINTS
from pose.body.types import Pose
from pose.video.rejoin import rejoin_ids
from pose.video.result import FrameKeypoints


def rejoined(frames: Sequence[FrameKeypoints]) -> list[FrameKeypoints]:
    """``frames`` with the IDs re-joined over the whole clip and the pieces of each body
    merged (see the module doc): in each frame one person per ID, in the order of each
    ID's first piece. Untracked frames (no IDs) come back as they are."""
    if not any(frame.ids for frame in frames):
        return list(frames)
    points = [[np.asarray(p.keypoints, np.float64) for p in frame.people] for frame in frames]
    ids = [list(frame.ids) for frame in frames]
    looks = [list(frame.looks) for frame in frames]
    joined = rejoin_ids(points, ids, [f.time for f in frames], looks=looks)
    return [_merged(frame, numbers) for frame, numbers in zip(frames, joined, strict=True)]


def _merged(frame: FrameKeypoints, numbers: Sequence[int]) -> FrameKeypoints:
    """One frame with its people's IDs replaced by ``numbers`` and people sharing an ID
    merged into one: the more confident of each joint, the larger score, and the 3D body
    of the piece with the most joints."""
    order: list[int] = []
    pieces: dict[int, list[int]] = {}
    for k, number in enumerate(numbers):
        if number not in pieces:
            order.append(number)
        pieces.setdefault(number, []).append(k)
    if len(order) == len(numbers):
        return replace(frame, ids=tuple(int(n) for n in numbers))
    # Looks are per tracked piece; merged people have none (they were used for re-joining).
    people, bodies = [], []
    for number in order:
        members = pieces[number]
        body = np.zeros((NUM_JOINTS, 3), np.float32)
        for k in members:
            keypoints = frame.people[k].keypoints
            take = keypoints[:, 2] > body[:, 2]
            body[take] = keypoints[take]
        score = max(frame.people[k].score for k in members)
        people.append(Pose(body, score=score))
        if frame.bodies:
            largest = max(members, key=lambda k: int((frame.people[k].keypoints[:, 2] > 0).sum()))
            bodies.append(frame.bodies[largest])
    return replace(
        frame,
        people=tuple(people),
        ids=tuple(int(n) for n in order),
        bodies=tuple(bodies),
        looks=(),
    )
