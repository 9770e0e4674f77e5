"""3D pose accuracy and cost on ../shared/eval/3d (Human3.6M and MPI-INF-3DHP frames).

    .venv/bin/python -m benchmarks.pose3d [--size balanced] [--repeat 20]

For each frame: the OpenPose pipeline (``pose.photo.estimate``) finds the people; the person whose
joints lie nearest the ground truth's 2D joints is lifted to 3D (``pose.pose3d.blazepose.lift``) and
scored by PA-MPJPE, in millimetres, on the twelve limb joints both skeletons have
(shoulders, elbows, wrists, hips, knees, ankles): the prediction is aligned onto the ground
truth by the best rotation, scale and translation, then the joints' mean distance is taken.
Printed per frame and as a mean for three crops: the pipeline's (the default), the same
refined once by the model's own proposal (MediaPipe's tracking crop; twice the cost), and a
crop from the ground truth's 2D joints (an upper bound on what better boxes could give).

Cost: the median time to lift one person (crop, model, mapping back), against the OpenPose
pipeline's time on the same frame in the same run, and the detector MediaPipe would add
(``pose_detection.tflite``, inference only) to show what not using it saves.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import math
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import EVAL_DIR, cpu_model
from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.match import match, match_joints3d
from pose.match.procrustes import pa_mpjpe
from pose.media.images import load_image
from pose.photo.estimate import estimate
from pose.pose3d.blazepose import (
    Crop,
    Person3D,
    get_landmark_model,
    lift,
    lift_crop,
    model_path,
    upright_crop,
)

DIR_3D = EVAL_DIR / "3d"

# The twelve limb joints, OpenPose-18 order.
LIMB_JOINTS: tuple[Joint, ...] = (
    Joint.R_SHOULDER, Joint.R_ELBOW, Joint.R_WRIST, Joint.L_SHOULDER, Joint.L_ELBOW,
    Joint.L_WRIST, Joint.R_HIP, Joint.R_KNEE, Joint.R_ANKLE, Joint.L_HIP, Joint.L_KNEE,
    Joint.L_ANKLE,
)  # fmt: skip
# Each set's index for those joints, then its neck and head top (eval/SOURCES.md; checked by
# drawing `part` on the frames).
SETS = {
    # SPIN's 24-joint order (LSP's 14 first).
    "h36m": ("test_h36m.npz", (8, 7, 6, 9, 10, 11, 2, 1, 0, 3, 4, 5), 12, 18),
    # MPI-INF-3DHP's 17-joint test order; 18 is H36M's "head", 0 here the head top.
    "mpi_inf_3dhp": ("test_3dhp_test.npz", (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), 1, 0),
}


@dataclass(frozen=True)
class Frame:
    """One eval frame: ``truth3d`` (12, 3) metres and ``truth2d`` (12, 2) pixels on the limb
    joints; ``neck`` and ``head`` (2,) pixels, for the ground-truth crop."""

    dataset: str
    name: str
    path: Path
    truth3d: np.ndarray
    truth2d: np.ndarray
    neck: np.ndarray
    head: np.ndarray


def load_frames(folder: Path = DIR_3D) -> list[Frame]:
    frames = []
    for dataset, (archive, limbs, neck, head) in SETS.items():
        data = np.load(folder / dataset / archive)
        for name, part, truth in zip(data["imgname"], data["part"], data["S"], strict=True):
            frames.append(
                Frame(
                    dataset=dataset,
                    name=str(name),
                    path=folder / dataset / str(name),
                    truth3d=truth[list(limbs), :3].astype(np.float64),
                    truth2d=part[list(limbs), :2].astype(np.float64),
                    neck=part[neck, :2].astype(np.float64),
                    head=part[head, :2].astype(np.float64),
                )
            )
    return frames


def nearest_person(people: tuple[Pose, ...], truth2d: np.ndarray) -> Pose | None:
    """The detected person whose limb joints lie nearest the ground truth's (mean pixel
    distance over the joints found; at least half of them must be found)."""
    best, best_distance = None, float("inf")
    for person in people:
        rows = person.keypoints[list(LIMB_JOINTS)]
        found = rows[:, 2] > 0
        if found.sum() < len(LIMB_JOINTS) // 2:
            continue
        distance = float(np.linalg.norm(rows[found, :2] - truth2d[found], axis=1).mean())
        if distance < best_distance:
            best, best_distance = person, distance
    return best


def truth_crop(frame: Frame) -> Crop:
    """The crop built from the ground truth's 2D joints (head top included)."""
    hips = frame.truth2d[[6, 9]].mean(axis=0)
    points = np.vstack([frame.truth2d, frame.neck, frame.head])
    radius = float(np.linalg.norm(points - hips, axis=1).max())
    return upright_crop(hips, frame.neck, radius)


def limb_points(landmarks3d: np.ndarray) -> np.ndarray:
    """(18, 4) OpenPose-ordered joints -> (12, 3) limb joints."""
    return landmarks3d[list(LIMB_JOINTS), :3].astype(np.float64)


def truth_joints(frame: Frame) -> np.ndarray:
    """The ground truth as OpenPose-18 3D joints (18, 4): the limb joints and the neck (the
    shoulders' midpoint, as :attr:`pose.pose3d.blazepose.Person3D.joints` makes it), visibility 1;
    the head's joints, which the sets label differently, visibility 0."""
    joints = np.zeros((len(Joint), 4))
    joints[list(LIMB_JOINTS), :3] = frame.truth3d
    joints[list(LIMB_JOINTS), 3] = 1.0
    shoulders = [LIMB_JOINTS.index(Joint.R_SHOULDER), LIMB_JOINTS.index(Joint.L_SHOULDER)]
    joints[Joint.NECK] = [*frame.truth3d[shoulders].mean(axis=0), 1.0]
    return joints


def turn(joints: np.ndarray, degrees: float) -> np.ndarray:
    """(18, 4) camera-space joints turned about the vertical (the camera's y axis) through
    the hips' centre: the same pose seen from a camera moved round the person."""
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = np.array([[cos, 0.0, sin], [0.0, 1.0, 0.0], [-sin, 0.0, cos]])
    centre = joints[[Joint.R_HIP, Joint.L_HIP], :3].mean(axis=0)
    out = np.array(joints, dtype=np.float64)
    out[:, :3] = (out[:, :3] - centre) @ rotation.T + centre
    return out


def project(joints: np.ndarray, focal: float = 1000.0) -> Pose:
    """(18, 4) camera-space joints (metres, z > 0) -> the 2D pose a pinhole camera of
    ``focal`` pixels sees (joints with visibility 0 are left out)."""
    keypoints = np.zeros((len(Joint), 3), np.float32)
    seen = joints[:, 3] > 0
    keypoints[seen, :2] = focal * joints[seen, :2] / joints[seen, 2:3]
    keypoints[seen, 2] = 1.0
    return Pose(keypoints=keypoints)


def viewpoint_table(frames: list[Frame], people: list[Person3D | None]) -> None:
    """Similarity of each frame's pose with its own ground truth seen from cameras turned
    round the person, by 2D ``normalized`` (projections) and by ``3d``, against other
    frames' poses: what viewpoint invariance buys."""
    angles = (0, 30, 60, 90, 135, 180)
    print("viewpoint (camera turned round the person, degrees):   " + "".join(
        f"{angle:>7}" for angle in angles) + "   other poses")  # fmt: skip
    truths = [truth_joints(frame) for frame in frames]
    rows = {"2D normalized, truth vs truth": [], "3d, truth vs truth": [], "3d, model vs truth": []}
    others = {key: [] for key in rows}
    for i, truth in enumerate(truths):
        rest = [t for j, t in enumerate(truths) if j != i]
        rows["2D normalized, truth vs truth"].append(
            [match(project(truth), project(turn(truth, a))).similarity for a in angles]
        )
        others["2D normalized, truth vs truth"] += [
            match(project(truth), project(t)).similarity for t in rest
        ]
        rows["3d, truth vs truth"].append(
            [match_joints3d(truth, turn(truth, a)).similarity for a in angles]
        )
        others["3d, truth vs truth"] += [match_joints3d(truth, t).similarity for t in rest]
        if people[i] is not None:
            model = people[i].joints
            rows["3d, model vs truth"].append(
                [match_joints3d(model, turn(truth, a)).similarity for a in angles]
            )
            others["3d, model vs truth"] += [match_joints3d(model, t).similarity for t in rest]
    for key, values in rows.items():
        if values:
            means = np.mean(values, axis=0)
            print(f"  {key:<52}" + "".join(f"{v:7.1f}" for v in means)
                  + f"   {statistics.fmean(others[key]):7.1f}")  # fmt: skip


def detector_ms(repeat: int) -> float | None:
    """Median inference time of MediaPipe's person detector (224x224), or None if absent."""
    path = model_path().with_name("pose_detection.tflite")
    if not path.is_file():
        return None
    from pose.network.runners import interpreter_class

    _, interpreter_type = interpreter_class()
    interpreter = interpreter_type(model_path=str(path), num_threads=os.cpu_count() or 2)
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]
    batch = np.random.default_rng(0).random((1, 224, 224, 3), dtype=np.float32)
    times = []
    for _ in range(repeat + 2):
        started = time.perf_counter()
        interpreter.set_tensor(index, batch)
        interpreter.invoke()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[2:])


def video_cost(path: Path, every: int) -> None:
    """Wall time per processed frame of ``path`` with and without ``lift3d`` (same run)."""
    import tempfile

    from pose.video.process import process_video

    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for lift3d in (False, True, False, True):  # alternated: load drifts on a shared CPU
            result = process_video(path, Path(tmp) / "out.mp4", every=every, lift3d=lift3d)
            runs.setdefault(lift3d, []).append(result.seconds / len(result.frames) * 1000)
            people = sum(len(frame.people) for frame in result.frames) / len(result.frames)
    plain, lifted = (statistics.fmean(runs[key]) for key in (False, True))
    print(
        f"video {path.name} (every {every}th frame, {people:.1f} people a frame): "
        f"{plain:.0f} ms a frame in 2D, {lifted:.0f} ms with 3D: +{lifted - plain:.0f} ms a "
        f"frame, {(lifted - plain) / max(people, 1e-9):.0f} ms a person ({lifted / plain:.2f}x)"
    )


def print_costs(lift_times: list[float], pipeline_times: list[float], repeat: int) -> None:
    """The median cost of lifting a person (``lift_times``, ms) against the 2D pipeline's
    (``pipeline_times``, ms), and the person detector's per frame (``repeat`` runs)."""
    if lift_times:
        per_person = statistics.median(lift_times)
        pipeline = statistics.median(pipeline_times)
        print(
            f"cost per person: {per_person:.1f} ms median (lift: crop, model, map back); "
            f"the 2D pipeline on the same frames: {pipeline:.1f} ms median "
            f"(3D adds {per_person / pipeline:.2f}x of it per person)"
        )
    detector = detector_ms(repeat)
    if detector is not None:
        print(
            f"MediaPipe's person detector: {detector:.1f} ms per frame "
            "(the multi-pass photo mode runs it once per photo)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="balanced", help="OpenPose input size (preset)")
    parser.add_argument("--repeat", type=int, default=20, help="timing runs per frame")
    parser.add_argument(
        "--video",
        type=Path,
        default=EVAL_DIR / "video" / "street.avi",
        help="clip for the video cost (default: ../shared/eval/video/street.avi); none: skip",
    )
    parser.add_argument("--every", type=int, default=5, help="video: every Nth frame")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    model = get_landmark_model()
    frames = load_frames()
    print(
        f"3D pose on {len(frames)} frames of {DIR_3D}, "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {cpu_model()}, "
        f"{os.cpu_count()} cores"
    )
    print("PA-MPJPE (mm, 12 limb joints):")
    print(f"  {'frame':<40} {'pipeline':>9} {'refined':>9} {'gt crop':>9}")
    errors: list[dict[str, float]] = []  # per frame: kind -> mm (absent: no person found)
    lift_times, pipeline_times = [], []
    people: list[Person3D | None] = []
    for frame in frames:
        image = load_image(frame.path)
        person = nearest_person(estimate(image, size=args.size).people, frame.truth2d)
        row = frame_errors(frame, image, person, model, args.size)
        errors.append(row)
        people.append(lift(image, [person], model)[0] if person is not None else None)
        cells = (f"{row[kind]:9.1f}" if kind in row else "   missed" for kind in KINDS)
        print(f"  {frame.dataset + '/' + frame.name:<40} " + " ".join(cells))
        if person is not None:
            for _ in range(args.repeat):
                pipeline_ms, lift_ms = time_frame(image, person, model, args.size)
                pipeline_times.append(pipeline_ms)
                lift_times.append(lift_ms)
    print_means(frames, errors)
    viewpoint_table(frames, people)
    print_costs(lift_times, pipeline_times, args.repeat)
    if args.video.is_file():
        video_cost(args.video, args.every)
    return 0


KINDS = ("pipeline", "refined", "gt crop")  # where the lifted crop comes from


def frame_errors(frame: Frame, image: np.ndarray, person: Pose | None, model, size: str):
    """PA-MPJPE (mm) of one frame per kind in :data:`KINDS`: the pipeline's person lifted
    as found and refined, and the ground truth's crop; a kind is absent when nothing was
    lifted (no person found)."""
    row: dict[str, float] = {}
    for kind in KINDS:
        if kind == "gt crop":
            lifted, _ = lift_crop(image, truth_crop(frame), model)
        elif person is None:
            continue
        else:
            lifted = lift(image, [person], model, refine=kind == "refined")[0]
        if lifted is not None:
            row[kind] = 1000 * pa_mpjpe(limb_points(lifted.joints), frame.truth3d)
    return row


def time_frame(image: np.ndarray, person: Pose, model, size: str) -> tuple[float, float]:
    """One timed run: the 2D pipeline on ``image``, then lifting ``person``; both in ms."""
    started = time.perf_counter()
    estimate(image, size=size)
    middle = time.perf_counter()
    lift(image, [person], model)
    done = time.perf_counter()
    return (middle - started) * 1000, (done - middle) * 1000


def print_means(frames: list[Frame], errors: list[dict[str, float]]) -> None:
    """The mean PA-MPJPE per kind over every frame, then per dataset."""

    def mean(kind: str, dataset: str | None = None) -> float:
        values = [row[kind] for f, row in zip(frames, errors, strict=True)
                  if kind in row and dataset in (None, f.dataset)]  # fmt: skip
        return statistics.fmean(values) if values else float("nan")

    found = sum("pipeline" in row for row in errors)
    print(
        f"  {'mean':<40} "
        + " ".join(f"{mean(kind):9.1f}" for kind in KINDS)
        + f"   ({found}/{len(frames)} frames with a person found)"
    )
    for dataset in SETS:
        print(f"  {'mean ' + dataset:<40} " + " ".join(f"{mean(k, dataset):9.1f}" for k in KINDS))


if __name__ == "__main__":
    raise SystemExit(main())
