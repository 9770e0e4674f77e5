"""Check the street.avi tracking reference by eye: its anchors drawn on the frames.

    .venv/bin/python -m benchmarks.reference_frames --frames 115-160 --out /tmp/ref
        [--box 0,100,260,520] [--per-sheet 6] [--skeletons] [--scale 2]

Draws every person of ``benchmarks/data/street_tracks.json`` (:data:`benchmarks.tracking.
REFERENCE`) on the source frames: a dot at the anchor (the mean of the joints found on that
person, so it sits on the torso of the body the reference means) with the person's name,
in one colour per person. ``--skeletons`` also runs the video's stream of people (default
settings, about a minute) and draws the bodies it found, thin and grey with each joint
named, so one can see whose body each joint and anchor is on (``--scale 2`` to read them).
The frames are cut to ``--box`` (x0,y0,x1,y1 in source pixels), put side by side
``--per-sheet`` at a time and written as PNGs to ``--out``: sheets to look at, not to keep
(the reference's "derived" note says what was checked this way). Where the model finds one
body for two people, the reference names it after the one most of its joints are on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from benchmarks.tracking import REFERENCE, SOURCE, load_reference
from pose.media.video_reader import iter_frames, open_video

COLOURS = [  # RGB, one per reference person, in the file's order
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (0, 255, 0),
    (255, 128, 0),
    (255, 64, 64),
    (128, 160, 255),
    (255, 255, 255),
]


def frame_range(text: str) -> range:
    """ "115-160" -> range(115, 161)."""
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def read_source(frames: range) -> dict[int, np.ndarray]:
    """Source frame number -> (H, W, 3) RGB image, for the frames asked."""
    container, info = open_video(SOURCE)
    images: dict[int, np.ndarray] = {}
    try:
        for index, _, image in iter_frames(container, info):
            if index in frames:
                images[index] = image
            if index >= frames.stop - 1:
                break
    finally:
        container.close()
    return images


def found_bodies(frames: range) -> dict[int, list[np.ndarray]]:
    """Source frame number -> the (18, 3) keypoints the video's stream of people found."""
    from pose.video.stream import PeopleStream, StreamOptions

    bodies: dict[int, list[np.ndarray]] = {}
    with PeopleStream(SOURCE, StreamOptions()) as stream:
        for frame in stream:
            if frame.keypoints.index in frames:
                bodies[frame.keypoints.index] = [p.keypoints for p in frame.keypoints.people]
    return bodies


def draw(image: np.ndarray, index: int, reference, bodies: list[np.ndarray]) -> np.ndarray:
    """A copy of ``image`` with the found bodies (grey) and the reference anchors (named)."""
    from pose.body.skeleton import LIMBS, Joint

    out = image.copy()
    for points in bodies:
        for a, b in LIMBS:
            if points[a, 2] > 0 and points[b, 2] > 0:
                start, end = points[a, :2].astype(int), points[b, :2].astype(int)
                cv2.line(out, tuple(start), tuple(end), (200, 200, 200), 1)
        for joint in Joint:  # named, to tell whose body each joint is on
            if points[joint, 2] > 0:
                x, y = points[joint, :2].astype(int)
                cv2.circle(out, (x, y), 2, (255, 255, 255), -1)
                cv2.putText(out, joint.name.lower()[:5], (x + 3, y), 0, 0.3, (255, 255, 255), 1)
    for colour, (name, rows) in zip(COLOURS, reference.items(), strict=False):
        if index in rows:
            x, y = rows[index].astype(int)
            cv2.circle(out, (x, y), 7, (0, 0, 0), -1)
            cv2.circle(out, (x, y), 5, colour, -1)
            for shade, width in (((0, 0, 0), 5), (colour, 2)):
                cv2.putText(out, name, (x + 8, y - 8), 0, 0.9, shade, width)
    for shade, width in (((0, 0, 0), 6), ((255, 255, 255), 2)):
        cv2.putText(out, str(index), (10, 40), 0, 1.2, shade, width)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=frame_range, required=True, help="e.g. 115-160")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs")
    parser.add_argument("--box", default="0,0,1280,720", help="x0,y0,x1,y1 source pixels")
    parser.add_argument("--per-sheet", type=int, default=6, help="frames side by side")
    parser.add_argument("--skeletons", action="store_true", help="draw the bodies found")
    parser.add_argument("--scale", type=float, default=1.0, help="enlarge the cut frames")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args(argv)
    reference = load_reference(args.reference)
    x0, y0, x1, y1 = (int(v) for v in args.box.split(","))
    images = read_source(args.frames)
    bodies = found_bodies(args.frames) if args.skeletons else {}
    args.out.mkdir(parents=True, exist_ok=True)
    shown = [
        cv2.resize(
            draw(images[i], i, reference, bodies.get(i, []))[y0:y1, x0:x1],
            None,
            fx=args.scale,
            fy=args.scale,
            interpolation=cv2.INTER_CUBIC,
        )
        for i in args.frames
    ]
    numbers = list(args.frames)
    for start in range(0, len(shown), args.per_sheet):
        chunk = numbers[start : start + args.per_sheet]
        path = args.out / f"frames{chunk[0]:03d}-{chunk[-1]:03d}.png"
        sheet = np.hstack(shown[start : start + args.per_sheet])
        cv2.imwrite(str(path), sheet[:, :, ::-1])
        print(path)


if __name__ == "__main__":
    main()
