"""Temporal smoothing of keypoints across video or webcam frames (the One Euro filter).

The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) is a low-pass filter whose
cut-off frequency rises with the speed of the signal: a still joint is smoothed hard, so
the skeleton stops jittering, while a fast-moving joint is followed closely, so it does
not lag. :func:`one_euro_step` is the pure filter over arrays; :class:`PoseSmoother`
keeps one filter per tracked person and matches people between frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from pose.body.types import Pose


@dataclass(frozen=True)
class OneEuroParams:
    """Filter settings. Positions are in frame units (pixels / longest frame side).

    ``min_cutoff`` (Hz): smoothing of a still joint; lower is smoother but lags more.
    ``beta``: how fast the cut-off rises with speed (per frame-length per second);
    higher follows fast motion more closely. ``d_cutoff`` (Hz): smoothing of the speed.
    """

    min_cutoff: float = 1.0
    beta: float = 5.0
    d_cutoff: float = 1.0


@dataclass(frozen=True)
class OneEuroState:
    """Filter memory for an array of values of any shape ``S``.

    ``value``: float64 S, last filtered value; ``speed``: float64 S, filtered derivative;
    ``valid``: bool S, whether the entry has history (missing entries restart from the raw
    value when they come back); ``time``: seconds of the last update.
    """

    value: np.ndarray
    speed: np.ndarray
    valid: np.ndarray
    time: float


def smoothing_factor(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
    """Weight of the new sample in an exponential low-pass with ``cutoff`` Hz at step ``dt`` s."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff, dtype=np.float64))
    return 1.0 / (1.0 + tau / dt)


def one_euro_step(
    state: OneEuroState | None,
    value: np.ndarray,
    time: float,
    present: np.ndarray | None = None,
    params: OneEuroParams = OneEuroParams(),
) -> OneEuroState:
    """Filter one new sample; return the new state (its ``value`` is the filtered output).

    value: float array of shape S (e.g. (18, 2) joint positions); present: bool S, entries
    observed in this sample (default all). Absent entries lose their history. A repeated
    or earlier ``time`` (e.g. two frames with one timestamp) returns the raw sample for new
    entries and keeps the rest, rather than dividing by zero.
    """
    value = np.asarray(value, dtype=np.float64)
    present = np.ones(value.shape, dtype=bool) if present is None else np.asarray(present, bool)
    if state is None or state.value.shape != value.shape:
        return OneEuroState(
            value=np.where(present, value, 0.0),
            speed=np.zeros_like(value),
            valid=present.copy(),
            time=time,
        )
    dt = time - state.time
    tracked = present & state.valid
    if dt <= 0:
        filtered = np.where(tracked, state.value, np.where(present, value, 0.0))
        return OneEuroState(filtered, np.where(tracked, state.speed, 0.0), present.copy(), time)
    raw_speed = (value - state.value) / dt
    speed_weight = smoothing_factor(params.d_cutoff, dt)
    speed = speed_weight * raw_speed + (1.0 - speed_weight) * state.speed
    weight = smoothing_factor(params.min_cutoff + params.beta * np.abs(speed), dt)
    smoothed = weight * value + (1.0 - weight) * state.value
    # New or returning entries start from the raw sample with no speed.
    filtered = np.where(tracked, smoothed, np.where(present, value, 0.0))
    speed = np.where(tracked, speed, 0.0)
    return OneEuroState(filtered, speed, present.copy(), time)


@dataclass
class _Track:
    state: OneEuroState
    last_seen: float
    keypoints: np.ndarray  # (18, 3) last smoothed output, frame pixels
    id: int | None = None  # the tracker's ID, when the caller tracks people


def _match_cost(track: np.ndarray, person: np.ndarray, unit: float) -> float:
    """Mean distance, in frame units, between joints found in both (18, 3) arrays."""
    both = (track[:, 2] > 0) & (person[:, 2] > 0)
    if not both.any():
        return math.inf
    return float(np.linalg.norm(track[both, :2] - person[both, :2], axis=1).mean() / unit)


@dataclass
class PoseSmoother:
    """One Euro filters for every person across frames; one instance per video or session.

    People are matched to the previous frame's tracks by the mean distance of their shared
    joints (Hungarian assignment); a person further than ``max_jump`` frame-lengths from
    every track starts a new track. With ``ids`` (from :class:`pose.video.track.PoseTracker`) the
    tracker's IDs say who is who instead. Tracks unseen for ``max_age`` seconds are forgotten.
    """

    params: OneEuroParams = field(default_factory=OneEuroParams)
    max_jump: float = 0.15
    max_age: float = 0.5
    _tracks: list[_Track] = field(default_factory=list, repr=False)

    def reset(self) -> None:
        self._tracks.clear()

    @property
    def num_tracks(self) -> int:
        return len(self._tracks)

    def update(
        self,
        poses: Sequence[Pose],
        time: float,
        frame_size: tuple[int, int],
        ids: Sequence[int] | None = None,
    ) -> list[Pose]:
        """Smooth the people of one frame taken at ``time`` seconds; same order as ``poses``.

        frame_size: (width, height) in pixels; positions are filtered in units of its
        longest side so the settings do not depend on resolution. Confidences pass through.
        ids: optional tracking IDs of ``poses`` (one filter per ID).
        """
        unit = float(max(frame_size)) or 1.0
        self._tracks = [t for t in self._tracks if time - t.last_seen <= self.max_age]
        assigned: dict[int, int] = {}
        if ids is not None:
            rows = {track.id: row for row, track in enumerate(self._tracks)}
            assigned = {col: rows[i] for col, i in enumerate(ids) if i in rows}
        elif self._tracks and poses:
            cost = np.array(
                [[_match_cost(t.keypoints, p.keypoints, unit) for p in poses] for t in self._tracks]
            )
            finite = np.where(np.isfinite(cost), cost, 1e6)
            for row, col in zip(*linear_sum_assignment(finite), strict=True):
                if cost[row, col] <= self.max_jump:
                    assigned[int(col)] = int(row)
        out: list[Pose] = []
        for index, person in enumerate(poses):
            points = person.keypoints
            present = np.repeat((points[:, 2] > 0)[:, None], 2, axis=1)
            track = self._tracks[assigned[index]] if index in assigned else None
            state = one_euro_step(
                track.state if track else None,
                points[:, :2] / unit,
                time,
                present,
                self.params,
            )
            smoothed = points.copy()
            smoothed[:, :2] = np.where(present, state.value * unit, points[:, :2])
            if track is None:
                self._tracks.append(
                    _Track(state, time, smoothed, None if ids is None else ids[index])
                )
            else:
                track.state, track.last_seen, track.keypoints = state, time, smoothed
            out.append(replace(person, keypoints=smoothed))
        return out
