"""Command line: ``pose estimate|match|video ...`` (installed), or ``python -m pose ...``.

Every failure the user can fix prints one line to stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pose.estimate import DEFAULT_THRESHOLD
from pose.model import BACKEND_ENV, BACKENDS
from pose.network import DEFAULT_PRESET, PRESETS

log = logging.getLogger("pose")

EXIT_INPUT = 2
EXIT_MODEL = 3

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    """Register a subcommand handler under ``name``."""

    def register(function: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = function
        return function

    return register


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--size",
        default=DEFAULT_PRESET,
        help=f"model input: {', '.join(PRESETS)} or WIDTHxHEIGHT (default: {DEFAULT_PRESET})",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"minimum joint confidence (default: {DEFAULT_THRESHOLD:g})",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="model backend (default: $POSE_BACKEND, else tflite for photos and int8 for "
        "videos); int8 is 1.75x as fast, nearly as accurate (docs/backends.md)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # `pose` once installed (its console script), else `python -m pose`.
        prog="pose" if Path(sys.argv[0]).name == "pose" else "python -m pose",
        description="Find human body keypoints and compare poses.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    estimate = sub.add_parser("estimate", help="find people's keypoints in an image")
    estimate.add_argument("image", help="image file (JPEG, PNG, WebP, ...)")
    estimate.add_argument("--out", help="write the annotated image here")
    estimate.add_argument("--json", action="store_true", help="print keypoints as JSON")
    estimate.add_argument("--largest", action="store_true", help="keep only the largest person")
    estimate.add_argument(
        "--scales",
        default="1",
        help="input-size factors whose outputs are averaged, e.g. 1,0.75 (default: 1)",
    )
    estimate.add_argument(
        "--flip", action="store_true", help="also run the mirrored image and average (2x time)"
    )
    add_common(estimate)

    from pose.match import DEFAULT_MAX_ROTATION, DEFAULT_METHOD, METHODS

    match = sub.add_parser("match", help="how alike are the poses in two images, in percent")
    match.add_argument("image1", help="the reference image")
    match.add_argument("image2", help="the image compared with it")
    match.add_argument(
        "--method",
        choices=METHODS,
        default=DEFAULT_METHOD,
        help=f"similarity method (default: {DEFAULT_METHOD}; see docs/matching.md)",
    )
    match.add_argument(
        "--mirror", action="store_true", help="also try the left/right-swapped second pose"
    )
    match.add_argument(
        "--max-rotation",
        type=float,
        default=DEFAULT_MAX_ROTATION,
        help=f"largest in-plane rotation to align, degrees (default: {DEFAULT_MAX_ROTATION:g})",
    )
    match.add_argument("--person1", type=int, default=1, help="person in image 1, largest = 1")
    match.add_argument("--person2", type=int, default=1, help="person in image 2, largest = 1")
    match.add_argument("--overlay", help="write the two aligned skeletons to this image file")
    match.add_argument("--json", action="store_true", help="print the result as JSON")
    add_common(match)
    video = sub.add_parser("video", help="annotate a video; write per-frame keypoints")
    video.add_argument("input", help="video file (MP4, MOV, WebM, AVI, ...)")
    video.add_argument("output", help="annotated video to write: .mp4 (H.264) or .webm (VP9)")
    video.add_argument("--json", metavar="KEYPOINTS.json", help="write per-frame keypoints here")
    video.add_argument("--csv", metavar="KEYPOINTS.csv", help="write per-frame keypoints as CSV")
    video.add_argument(
        "--every", type=int, default=1, metavar="N", help="process every Nth frame (default: 1)"
    )
    # On by default, as in the app's Video tab; --no-smooth shows the raw per-frame output.
    video.add_argument(
        "--smooth",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="smooth keypoints across frames (One Euro filter; default: on)",
    )
    video.add_argument(
        "--full-frames",
        action="store_true",
        help="run the network on every whole frame, not only around the people found",
    )
    add_common(video)
    return parser


@command("estimate")
def run_estimate(args: argparse.Namespace) -> int:
    from PIL import Image

    from pose.draw import draw_poses
    from pose.estimate import estimate, parse_scales
    from pose.media import load_image

    image = load_image(args.image)
    result = estimate(
        image,
        size=args.size,
        threshold=args.threshold,
        largest_only=args.largest,
        scales=parse_scales(args.scales),
        flip=args.flip,
    )
    if args.out:
        Image.fromarray(draw_poses(image, result.people)).save(args.out)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(f"{len(result.people)} people found in {result.width}x{result.height}")
        for number, person in enumerate(result.people, start=1):
            print(f"  person {number}: score {person.score:.2f}, {person.num_visible}/18 joints")
    if not result.people:
        log.warning("no person found")
    return 0


@command("video")
def run_video(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pose.video import process_video

    def show(done: int, total: int | None) -> None:
        if sys.stderr.isatty():
            print(f"\r{done}/{total or '?'} frames", end="", file=sys.stderr, flush=True)

    result = process_video(
        args.input,
        args.output,
        size=args.size,
        threshold=args.threshold,
        every=args.every,
        smooth=args.smooth,
        progress=show,
        **({"regions": None} if args.full_frames else {}),
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        Path(args.json).write_text(result.to_json())
    if args.csv:
        Path(args.csv).write_text(result.to_csv())
    print(
        f"wrote {args.output}: {len(result.frames)} frames, {result.width}x{result.height} "
        f"at {float(result.fps):.3g} fps in {result.seconds:.1f} s "
        f"({result.processing_fps:.1f} frames/s)"
    )
    if result.audio_dropped:
        print("note: the audio track was not copied (the output is video only)")
    return 0


@command("match")
def run_match(args: argparse.Namespace) -> int:
    from PIL import Image

    from pose.estimate import estimate
    from pose.match import match, pick_person, rank_by_size
    from pose.media import load_image
    from pose.overlay import draw_overlay

    chosen = []
    counts = []
    for path, number, label in (
        (args.image1, args.person1, "image 1"),
        (args.image2, args.person2, "image 2"),
    ):
        people = rank_by_size(
            estimate(load_image(path), size=args.size, threshold=args.threshold).people
        )
        chosen.append(pick_person(people, number, f"{label} ({os.path.basename(path)})"))
        counts.append(len(people))
    result = match(chosen[0], chosen[1], args.method, args.mirror, args.max_rotation)
    if args.overlay:
        aligned = result.aligned if result.aligned is not None else chosen[1]
        Image.fromarray(
            draw_overlay(chosen[0], aligned, result.worst(3, below=70.0), mirrored=result.mirrored)
        ).save(args.overlay)
    if args.json:
        payload = result.to_dict()
        payload.update(
            person1=args.person1, person2=args.person2, people1=counts[0], people2=counts[1]
        )
        print(json.dumps(payload))
        return 0
    print(
        f"similarity {result.similarity:.1f} %: {result.verdict} ({result.method}, "
        f"{len(result.joints)} {'angles' if result.method == 'angles' else 'joints'}"
        f"{', mirrored' if result.mirrored else ''})"
    )
    print("worst joints:")
    for item in result.breakdown[:3]:
        print(
            f"  {item.joint.label:<11} {item.difference:8.3f} {result.unit:<9} {item.score:5.1f} %"
        )
    return 0


def silence_native_stderr() -> None:
    """Send native libraries' stderr chatter to /dev/null; keep Python's stderr.

    The TFLite runtime prints "INFO: Created TensorFlow Lite XNNPACK delegate" from C++
    straight to file descriptor 2, which no log level silences; a failing command must
    still print exactly one line. ``POSE_LOG=DEBUG`` keeps everything.
    """
    if os.environ.get("POSE_LOG", "").upper() == "DEBUG":
        return
    sys.stderr.flush()
    python_stderr = os.fdopen(os.dup(2), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = python_stderr


def main(argv: Sequence[str] | None = None) -> int:
    from pose.media import InputError

    args = build_parser().parse_args(argv)
    if args.backend:  # read when the process-wide model is created, on first use
        os.environ[BACKEND_ENV] = args.backend
    if argv is None:  # run as a program, not called from Python with its own stderr
        silence_native_stderr()
    # After silencing, so log records go to Python's stderr, not /dev/null.
    logging.basicConfig(level=os.environ.get("POSE_LOG", "WARNING"), format="%(message)s")
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except RuntimeError as exc:  # model missing or corrupt (ModelFetchError)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
