"""``pose estimate IMAGE``: people's keypoints in one image, drawn or as JSON."""

from __future__ import annotations

import argparse
import json

from pose.cli.common import add_common, add_mode, command, log, photo_mode


def add_parser(sub) -> None:
    """The ``estimate`` subcommand's arguments, on ``sub`` (argparse's subparsers)."""
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
    estimate.add_argument(
        "--3d",
        dest="lift3d",
        action="store_true",
        help='also 3D landmarks per person (BlazePose GHUM, metres; adds "landmarks3d" '
        "to --json; docs/pose3d.md)",
    )
    add_mode(estimate)
    add_common(estimate)


@command("estimate")
def run_estimate(args: argparse.Namespace) -> int:
    from PIL import Image

    from pose.media.images import load_image
    from pose.output.draw import draw_poses
    from pose.photo.estimate import estimate, parse_scales
    from pose.pose3d.people import estimate_people

    mode = photo_mode(args)
    scales = parse_scales(args.scales)
    image = load_image(args.image)
    if mode == "fast":
        result = estimate(
            image,
            size=args.size,
            threshold=args.threshold,
            largest_only=args.largest,
            scales=scales,
            flip=args.flip,
        )
    else:
        result = estimate_people(
            image, mode, size=args.size, threshold=args.threshold, largest_only=args.largest
        )
    lifted = []
    if args.lift3d:
        from pose.pose3d.blazepose import complete_bodies

        lifted = complete_bodies(image, result)
    if args.out:
        Image.fromarray(draw_poses(image, result.people)).save(args.out)
    if args.json:
        from pose.output.export import estimate_dict

        print(json.dumps(estimate_dict(result, lifted)))
    else:
        print(f"{len(result.people)} people found in {result.width}x{result.height}")
        for number, person in enumerate(result.people, start=1):
            line = f"  person {number}: score {person.score:.2f}, {person.num_visible}/18 joints"
            if lifted:
                body = lifted[number - 1]
                line += ", 3D: " + ("33 landmarks" if body else "too few joints for a crop")
            print(line)
    if not result.people:
        log.warning("no person found")
    return 0
