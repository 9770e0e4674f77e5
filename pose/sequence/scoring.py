"""An attempt aligned with a reference in time and scored: :func:`compare_sequences` (costs,
DTW, the ``normalized`` score of each aligned pair), its result
:class:`SequenceComparison` and the worst moments (:class:`Moment`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pose.body.skeleton import NUM_JOINTS, Joint
from pose.match import (
    DEFAULT_MAX_ROTATION,
    MIN_SHARED_JOINTS,
    NORMALIZED_TOLERANCE,
    normalized_scores,
    verdict,
)
from pose.sequence.clip import PoseSequence, SequenceError
from pose.sequence.costs import DEFAULT_ALIGN, cost_matrix
from pose.sequence.ends import open_ends as ends_of
from pose.sequence.noise import allowance, allowed_scores
from pose.sequence.warping import CLOSED, DEFAULT_WINDOW, dtw

# compare_sequences aligns whole clips; one clip lasting more than this many times the
# other is more likely a different take than a slower one.
MAX_LENGTH_RATIO = 4.0
# Worst moments: how many, at least how far apart (seconds of the reference), and which
# joints count as different (per-joint score in percent below this).
WORST_COUNT = 3
WORST_SPACING = 1.0
DIFFERENT_BELOW = 50.0


@dataclass(frozen=True)
class Moment:
    """A low point of a comparison: reference frame, attempt frame (source indices), their
    times in seconds, the pair's similarity in percent, and the joints scoring below
    :data:`DIFFERENT_BELOW` percent, worst first."""

    reference_frame: int
    attempt_frame: int
    reference_time: float
    attempt_time: float
    similarity: float
    joints: tuple[Joint, ...]

    def to_dict(self) -> dict:
        return {
            "frames": [self.reference_frame, self.attempt_frame],
            "times": [round(self.reference_time, 3), round(self.attempt_time, 3)],
            "similarity": round(float(self.similarity), 2),
            "joints": [joint.label for joint in self.joints],
        }


@dataclass(frozen=True)
class SequenceComparison:
    """An attempt aligned with a reference and scored.

    ``alignment`` (K, 2): source frame indices (reference, attempt) along the warping
    path; ``steps`` (K, 2) the same as rows of the two sequences; ``step_similarity``
    (K,) percent per aligned pair (NaN where the pair shares too few joints);
    ``joint_scores`` (K, 18) percent per joint (NaN where a joint is not in both);
    ``similarity`` the mean of ``step_similarity``; ``worst`` the lowest moments.
    """

    similarity: float
    alignment: np.ndarray
    steps: np.ndarray
    step_similarity: np.ndarray
    joint_scores: np.ndarray
    worst: tuple[Moment, ...]
    reference: PoseSequence = field(repr=False)
    attempt: PoseSequence = field(repr=False)
    method: str = DEFAULT_ALIGN
    window: float | None = DEFAULT_WINDOW
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return verdict(self.similarity)

    def joint_summary(self) -> list[tuple[Joint, float]]:
        """Mean score per joint over the path, worst first (joints never in both left out)."""
        counts = np.isfinite(self.joint_scores).sum(axis=0)
        with np.errstate(invalid="ignore"):
            means = np.nanmean(np.where(counts > 0, self.joint_scores, 0.0), axis=0)
        items = [(Joint(j), float(means[j])) for j in range(NUM_JOINTS) if counts[j]]
        return sorted(items, key=lambda item: item[1])

    def timeline(self, joints: int = 3) -> list[tuple[float, float, str]]:
        """Rows (reference time in s, percent, series) for a plot over the alignment: the
        similarity of each aligned pair ("similarity"), and the score of each of the
        ``joints`` joints that differ most on average (series named by the joint). Pairs
        or joints that could not be compared are left out."""
        times = self.reference.frames[self.steps[:, 0]] / self.reference.fps
        rows = [
            (float(t), float(value), "similarity")
            for t, value in zip(times, self.step_similarity, strict=True)
            if not math.isnan(value)
        ]
        for joint, _ in self.joint_summary()[:joints]:
            scores = self.joint_scores[:, joint]
            rows += [
                (float(t), float(value), joint.label)
                for t, value in zip(times, scores, strict=True)
                if not math.isnan(value)
            ]
        return rows

    def to_dict(self, timeline: bool = True) -> dict:
        """JSON-ready: similarity, verdict, alignment pairs, worst moments, per-joint
        means, the two clips, and (``timeline``) the similarity of each aligned pair."""
        payload = {
            "similarity": round(float(self.similarity), 2),
            "verdict": self.verdict,
            "method": self.method,
            "window": self.window,
            "reference": self.reference.summary(),
            "attempt": self.attempt.summary(),
            "alignment": self.alignment.tolist(),
            "worst": [moment.to_dict() for moment in self.worst],
            "joints": {joint.label: round(score, 2) for joint, score in self.joint_summary()},
            "notes": list(self.notes),
        }
        if timeline:
            payload["timeline"] = [
                None if math.isnan(value) else round(float(value), 2)
                for value in self.step_similarity
            ]
        return payload


def check_lengths(reference: PoseSequence, attempt: PoseSequence) -> None:
    """SequenceError when one clip lasts more than :data:`MAX_LENGTH_RATIO` times the other."""
    longer, shorter = sorted((reference, attempt), key=lambda seq: seq.duration, reverse=True)
    ratio = longer.duration / max(shorter.duration, 1e-9)
    if ratio > MAX_LENGTH_RATIO:
        raise SequenceError(
            f"{longer.name} ({longer.duration:.1f} s with the person) lasts {ratio:.1f} times "
            f"as long as {shorter.name} ({shorter.duration:.1f} s); whole clips are aligned "
            f"only up to {MAX_LENGTH_RATIO:g} times. Trim the longer clip to the movement, "
            "or count repetitions of the shorter one in it."
        )


def compare_sequences(
    reference: PoseSequence,
    attempt: PoseSequence,
    method: str = DEFAULT_ALIGN,
    window: float | None = DEFAULT_WINDOW,
    max_rotation: float = DEFAULT_MAX_ROTATION,
    check: bool = True,
    allow_noise: bool = True,
    open_ends: bool = False,
) -> SequenceComparison:
    """Align ``attempt`` with ``reference`` in time and score it (see the module doc).

    ``method`` picks the local cost of the alignment (:func:`cost_matrix`); the scores
    are the ``normalized`` matching scores of the aligned pairs, each joint forgiven the
    measurement's noise (:mod:`pose.sequence.noise`; ``allow_noise=False``: the Match
    tab's scores as they are). ``check`` refuses clips of very different durations
    (:func:`check_lengths`). ``open_ends``: frames of one whole clip that fall where the
    other clip's person is not yet or no longer found may be left out
    (:mod:`pose.sequence.ends`; for clips read whole, as compare-videos reads them).
    """
    if check:
        check_lengths(reference, attempt)
    cost = cost_matrix(reference.keypoints, attempt.keypoints, method, max_rotation)
    ends = ends_of(reference, attempt, method) if open_ends else CLOSED
    steps, _ = dtw(cost, window, ends)
    similarity, distances = normalized_scores(
        reference.keypoints[steps[:, 0]], attempt.keypoints[steps[:, 1]], max_rotation
    )
    if np.isnan(similarity).all():
        raise SequenceError(
            f"No aligned frames of {reference.name} and {attempt.name} share "
            f"{MIN_SHARED_JOINTS} joints; the two show different parts of the body."
        )
    similarity, joint_scores = _step_scores(reference, attempt, steps, similarity, distances,
                                            allow_noise)  # fmt: skip
    alignment = np.stack(
        [reference.frames[steps[:, 0]], attempt.frames[steps[:, 1]]], axis=1
    ).astype(np.int64)
    return SequenceComparison(
        similarity=float(np.nanmean(similarity)),
        alignment=alignment,
        steps=steps,
        step_similarity=similarity,
        joint_scores=joint_scores,
        worst=_worst_moments(reference, attempt, steps, similarity, joint_scores),
        reference=reference,
        attempt=attempt,
        method=method,
        window=window,
        notes=_comparison_notes(reference, attempt) + _left_out_notes(reference, attempt, steps),
    )


def _step_scores(
    reference: PoseSequence,
    attempt: PoseSequence,
    steps: np.ndarray,
    similarity: np.ndarray,
    distances: np.ndarray,
    allow_noise: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Score each aligned step, each joint forgiven the clips' noise when ``allow_noise``.

    ``steps`` (S, 2) pairs reference and attempt rows; ``similarity`` (S,) and ``distances``
    (S, 18) are the plain normalized scores of those pairs. Returns the step scores (S,),
    NaN where the plain score is NaN, and the per-joint scores (S, 18) in percent.
    """
    if not allow_noise:
        with np.errstate(invalid="ignore"):
            joint_scores = 100.0 * np.clip(1.0 - distances / NORMALIZED_TOLERANCE, 0.0, 1.0)
        return similarity, joint_scores
    allowed = allowance(reference.keypoints, reference.frames / reference.fps,
                        attempt.keypoints, attempt.frames / attempt.fps)  # fmt: skip
    scored, joint_scores = allowed_scores(
        reference.keypoints[steps[:, 0]], attempt.keypoints[steps[:, 1]], distances, allowed
    )
    return np.where(np.isnan(similarity), np.nan, scored), joint_scores


def _comparison_notes(reference: PoseSequence, attempt: PoseSequence) -> tuple[str, ...]:
    """What the user should know about the inputs: missing frames, different frame rates."""
    notes = []
    for seq in (reference, attempt):
        if len(seq) < seq.total:
            notes.append(
                f"{seq.name}: the person is missing in {seq.total - len(seq)} of {seq.total} "
                "frames; those frames are left out of the alignment."
            )
    if not math.isclose(reference.fps, attempt.fps, rel_tol=0.01):
        notes.append(
            f"The clips have different frame rates ({reference.fps:.3g} and "
            f"{attempt.fps:.3g} fps); each keeps its own frame numbers and times."
        )
    return tuple(notes)


def _left_out_notes(
    reference: PoseSequence, attempt: PoseSequence, steps: np.ndarray
) -> tuple[str, ...]:
    """A note for each clip whose first or last frames with the person were left out of
    the alignment (``steps`` (K, 2) rows of the two; open ends)."""
    notes = []
    for seq, other, column in ((reference, attempt, 0), (attempt, reference, 1)):
        left_out = len(seq) - (int(steps[-1, column]) - int(steps[0, column]) + 1)
        if left_out:
            notes.append(
                f"{seq.name}: frames with the person at its start or end ({left_out}) come "
                f"before or after {other.name} shows its person and fit none of its frames; "
                "they are left out of the alignment."
            )
    return tuple(notes)


def _worst_moments(
    reference: PoseSequence,
    attempt: PoseSequence,
    steps: np.ndarray,
    similarity: np.ndarray,
    joint_scores: np.ndarray,
) -> tuple[Moment, ...]:
    """The lowest-scoring aligned pairs, each at least :data:`WORST_SPACING` seconds of the
    reference from the others (so one bad second does not fill the list)."""
    ref_times = reference.frames[steps[:, 0]] / reference.fps
    moments: list[Moment] = []
    order = np.argsort(np.where(np.isnan(similarity), np.inf, similarity), kind="stable")
    for step in order:
        if len(moments) >= WORST_COUNT or np.isnan(similarity[step]):
            break
        if any(abs(ref_times[step] - m.reference_time) < WORST_SPACING for m in moments):
            continue
        scores = joint_scores[step]
        bad = [j for j in np.argsort(np.where(np.isnan(scores), np.inf, scores), kind="stable")]
        joints = tuple(Joint(int(j)) for j in bad if scores[j] < DIFFERENT_BELOW)
        i, j = steps[step]
        moments.append(
            Moment(
                reference_frame=int(reference.frames[i]),
                attempt_frame=int(attempt.frames[j]),
                reference_time=float(reference.frames[i] / reference.fps),
                attempt_time=float(attempt.frames[j] / attempt.fps),
                similarity=float(similarity[step]),
                joints=joints,
            )
        )
    return tuple(moments)
