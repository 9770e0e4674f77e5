"""Command line: ``python -m pose estimate|match|video ...``.

Every failure the user can fix prints one line to stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from pose.model import PRESETS

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
        default="balanced",
        help=f"model input: {', '.join(PRESETS)} or WIDTHxHEIGHT (default: balanced)",
    )
    parser.add_argument(
        "--threshold", type=float, default=0.1, help="minimum joint confidence (default: 0.1)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pose", description="Find human body keypoints and compare poses."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    estimate = sub.add_parser("estimate", help="find people's keypoints in an image")
    estimate.add_argument("image", help="image file (JPEG, PNG, WebP, ...)")
    estimate.add_argument("--out", help="write the annotated image here")
    estimate.add_argument("--json", action="store_true", help="print keypoints as JSON")
    estimate.add_argument("--largest", action="store_true", help="keep only the largest person")
    add_common(estimate)

    # match: added by the matching work (pose.match)
    # video: added by the video work (pose.video)
    return parser


@command("estimate")
def run_estimate(args: argparse.Namespace) -> int:
    from PIL import Image

    from pose.draw import draw_poses
    from pose.estimate import estimate
    from pose.media import load_image

    image = load_image(args.image)
    result = estimate(image, size=args.size, threshold=args.threshold, largest_only=args.largest)
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


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("POSE_LOG", "WARNING"), format="%(message)s")
    from pose.media import InputError

    args = build_parser().parse_args(argv)
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
