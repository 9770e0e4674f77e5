"""Accuracy of the video path, with and without the second opinion, on clips built from the
labeled photos.

    .venv/bin/python -m benchmarks.video_accuracy [--frames 6] [--pan 4] [--sets coco,aic]

No labeled set is a video, so clips are built in code: every labeled photo of every set in
../shared/eval (shrunk to at most :data:`LONG_SIDE` pixels), upright and turned by 90, 180, 270
and 45 degrees (:mod:`benchmarks.turned`, keypoints turned with it), panned slowly across a
slightly larger canvas (``--pan`` pixels a frame, ``--frames`` frames; the labels move with it),
written as H.264 and read back by :class:`pose.video.stream.PeopleStream` as the Video tab reads a
clip (the region path, tracking and smoothing on). Every frame is scored against its own labels
with the photo benchmarks' code (:func:`benchmarks.eval_sets.score_set`: COCO AP, the wild sets'
limb AP, MPII's PCKh), all frames of a set at one angle together. Printed: per set, upright,
the turned mean and each angle, without and with ``--second-opinion``; then the mean over sets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from benchmarks import eval_sets
from benchmarks.common import EVAL_DIR, cpu_model
from benchmarks.eval_sets import Person, Photo
from benchmarks.turned import ANGLES, turn_image, turn_photo
from pose.media.images import load_image
from pose.media.video_writer import VideoWriter
from pose.video.stream import PeopleStream, StreamOptions

LONG_SIDE = 480  # a webcam-sized clip: the photos' people as large as a video's would be
FRAMES = 6
PAN = 4  # pixels a frame: a slow pan, so the followed crop has to move with the person


def scale_person(person: Person, scale: float, shift: tuple[float, float] = (0.0, 0.0)) -> Person:
    """A labeled person scaled by ``scale`` about the origin, then moved by ``shift`` (x, y)
    pixels (labeled keypoints, box, OKS area and PCKh head size alike)."""
    keypoints = person.keypoints.copy()
    labeled = keypoints[:, 2] > 0
    keypoints[labeled, :2] = keypoints[labeled, :2] * scale + np.asarray(shift)
    x, y, w, h = person.bbox
    bbox = (x * scale + shift[0], y * scale + shift[1], w * scale, h * scale)
    return replace(person, keypoints=keypoints, bbox=bbox, area=person.area * scale**2,
                   head=person.head * scale)  # fmt: skip


def shrunk(image: np.ndarray, photo: Photo, long_side: int = LONG_SIDE) -> tuple[np.ndarray, Photo]:
    """The photo and its labels at most ``long_side`` pixels on the long side."""
    scale = min(1.0, long_side / max(image.shape[:2]))
    if scale >= 1.0:
        return image, photo
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return small, replace(photo, people=tuple(scale_person(p, scale) for p in photo.people))


def panned_clip(
    image: np.ndarray, photo: Photo, frames: int = FRAMES, pan: int = PAN, first_id: int = 0
) -> tuple[list[np.ndarray], list[Photo]]:
    """``frames`` RGB frames of one size (the image on a grey canvas ``pan * frames`` wider,
    moving right ``pan`` pixels a frame) and each frame's labels (``image_id`` from
    ``first_id`` on, one a frame)."""
    height, width = image.shape[:2]
    margin = pan * max(frames - 1, 0)
    # Even sides: the H.264 writer pads odd ones, which would move nothing but is untidy.
    canvas_w, canvas_h = width + margin + (width + margin) % 2, height + height % 2
    clip, labels = [], []
    for number in range(frames):
        frame = np.full((canvas_h, canvas_w, 3), 114, np.uint8)
        left = pan * number
        frame[:height, left : left + width] = image
        clip.append(frame)
        people = tuple(scale_person(person, 1.0, (left, 0.0)) for person in photo.people)
        labels.append(Photo(first_id + number, photo.path, people))
    return clip, labels


def write_clip(frames: Sequence[np.ndarray], path: Path) -> Path:
    with VideoWriter(path, frames[0].shape[1], frames[0].shape[0], Fraction(25)) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def clip_people(path: Path, second_opinion: bool) -> list[list]:
    """Each frame's people as the Video tab finds them (region path, tracked, smoothed)."""
    options = StreamOptions(smooth=True, second_opinion=second_opinion)
    with PeopleStream(path, options) as stream:
        return [list(frame.keypoints.people) for frame in stream]


def score_angle(
    item: eval_sets.EvalSet,
    photos: Sequence[Photo],
    images: dict[int, np.ndarray],
    angle: float,
    args: argparse.Namespace,
    out_dir: Path,
) -> dict[bool, eval_sets.SetScore]:
    """One set at one angle: every photo's clip through the video path without and with the
    second opinion, all frames scored together."""
    labels: list[Photo] = []
    found: dict[bool, dict[int, list]] = {False: {}, True: {}}
    for photo in photos:
        turned, matrix = turn_image(images[photo.image_id], angle)
        frames, frame_labels = panned_clip(
            turned, turn_photo(photo, matrix), args.frames, args.pan, len(labels)
        )
        clip = write_clip(frames, out_dir / "clip.mp4")
        for second in (False, True):
            for label, people in zip(frame_labels, clip_people(clip, second), strict=True):
                found[second][label.image_id] = people
        labels.extend(frame_labels)
    return {second: eval_sets.score_set(item, labels, found[second]) for second in (False, True)}


def run(args: argparse.Namespace) -> dict[str, dict[float, dict[bool, eval_sets.SetScore]]]:
    """set name -> angle -> {second opinion: score}; each set printed when done."""
    names = args.sets.split(",") if args.sets else eval_sets.SET_NAMES
    table = {}
    with tempfile.TemporaryDirectory(prefix="pose-video-accuracy-") as tmp:
        for item in eval_sets.SETS:
            if item.name not in names:
                continue
            photos, images = [], {}
            for photo in eval_sets.load_set(item, args.eval_dir):
                image, small = shrunk(load_image(photo.path), photo)
                photos.append(small)
                images[small.image_id] = image
            table[item.name] = {
                angle: score_angle(item, photos, images, angle, args, Path(tmp))
                for angle in (0, *args.angles)
            }
            print(format_set(item.name, table[item.name], args.angles), flush=True)
    return table


def format_set(name: str, scores: dict, angles: Sequence[float]) -> str:
    metric = scores[0][False].metric
    lines = [f"{name} ({metric})" + "".join(f"{a:>8}" for a in ("upright", "turned", *angles))]
    for second, label in ((False, "OpenPose alone"), (True, "second opinion")):
        turned = np.mean([scores[a][second].value for a in angles])
        cells = "".join(f"{scores[a][second].value:8.3f}" for a in angles)
        lines.append(f"  {label:<16}{scores[0][second].value:8.3f}{turned:8.3f}{cells}")
    return "\n".join(lines)


def format_mean(table: dict, angles: Sequence[float]) -> str:
    lines = ["mean over sets" + "".join(f"{a:>8}" for a in ("upright", "turned", *angles))]
    for second, label in ((False, "OpenPose alone"), (True, "second opinion")):
        upright = np.mean([scores[0][second].value for scores in table.values()])
        per_angle = [np.mean([s[a][second].value for s in table.values()]) for a in angles]
        cells = "".join(f"{value:8.3f}" for value in per_angle)
        turned = float(np.mean(per_angle))
        ratio = turned / max(upright, 1e-9)
        lines.append(f"  {label:<16}{upright:8.3f}{turned:8.3f}{cells}  turned/upright {ratio:.0%}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=FRAMES, help="frames per clip")
    parser.add_argument("--pan", type=int, default=PAN, help="pixels the photo moves a frame")
    parser.add_argument("--sets", help=f"comma-separated, from {','.join(eval_sets.SET_NAMES)}")
    parser.add_argument(
        "--angles",
        type=lambda text: tuple(float(a) for a in text.split(",")),
        default=ANGLES,
        help="comma-separated degrees (default 90,180,270,45)",
    )
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    args.angles = tuple(int(a) if float(a).is_integer() else a for a in args.angles)
    print(f"CPU: {cpu_model()}; clips of {args.frames} frames panned {args.pan} px a frame, "
          f"long side <= {LONG_SIDE}")  # fmt: skip
    started = time.perf_counter()
    table = run(args)
    print(format_mean(table, args.angles))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
