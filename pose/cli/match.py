"""``pose match IMAGE1 IMAGE2``: how alike the poses in two images are, in percent."""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING

from pose.cli.common import add_common, add_mode, command, photo_mode

if TYPE_CHECKING:
    from pose.match.result import Match


def add_parser(sub) -> None:
    """The ``match`` subcommand's arguments, on ``sub`` (argparse's subparsers)."""
    from pose.match import ALL_METHODS, AUTO, BEST, DEFAULT_MAX_ROTATION, DEFAULT_METHOD

    match = sub.add_parser("match", help="how alike are the poses in two images, in percent")
    match.add_argument("image1", help="the reference image")
    match.add_argument("image2", help="the image compared with it")
    match.add_argument(
        "--method",
        choices=ALL_METHODS,
        default=DEFAULT_METHOD,
        help=f"similarity method (default: {DEFAULT_METHOD}; see docs/matching.md); 3d "
        "compares 3D poses, whatever the camera's viewpoint (docs/pose3d.md)",
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
    for side in (1, 2):
        match.add_argument(
            f"--person{side}",
            type=int,
            default=AUTO,
            help=f"person in image {side}, largest = 1; {AUTO} (default): the largest in image "
            f"1 and whoever stands at the same place in image 2; {BEST}: search for the "
            "best-matching pair",
        )
    match.add_argument("--overlay", help="write the two aligned skeletons to this image file")
    match.add_argument("--json", action="store_true", help="print the result as JSON")
    add_mode(match)
    add_common(match)


@command("match")
def run_match(args: argparse.Namespace) -> int:
    from PIL import Image

    from pose.match import DEFAULT_METHOD, METHOD_3D, choose_pair, match
    from pose.media.images import load_image
    from pose.output.overlay import draw_overlay
    from pose.pose3d.blazepose import lift_one
    from pose.pose3d.people import estimate_people

    mode = photo_mode(args)

    images = [load_image(path) for path in (args.image1, args.image2)]
    found = [
        estimate_people(image, mode, size=args.size, threshold=args.threshold).numbered()
        for image in images
    ]
    people = [numbered for numbered, _ in found]
    counts = [len(found) for found in people]
    labels = tuple(
        f"{label} ({os.path.basename(path)})"
        for label, path in (("image 1", args.image1), ("image 2", args.image2))
    )
    # The 3D method compares the chosen pair's bodies from the photo pass (lifted now only
    # where it read none); a pair left to the app is chosen in 2D.
    lifting = args.method == METHOD_3D
    pairing = choose_pair(
        people[0], people[1], args.person1, args.person2,
        DEFAULT_METHOD if lifting else args.method, args.mirror, labels, args.max_rotation,
        sizes=tuple((image.shape[1], image.shape[0]) for image in images),
    )  # fmt: skip
    chosen = [people[0][pairing.person1 - 1], people[1][pairing.person2 - 1]]
    result = pairing.result
    if lifting:
        read = [found[0][1][pairing.person1 - 1], found[1][1][pairing.person2 - 1]]
        bodies = [lift_one(image, person, label, body) for image, person, label, body in zip(
            images, chosen, labels, read, strict=True)]  # fmt: skip
        result = match(bodies[0], bodies[1], METHOD_3D, args.mirror, args.max_rotation)
    if args.overlay:
        aligned = result.aligned if result.aligned is not None else chosen[1]
        Image.fromarray(
            draw_overlay(chosen[0], aligned, result.worst(3, below=70.0), mirrored=result.mirrored)
        ).save(args.overlay)
    if args.json:
        payload = result.to_dict()
        payload.update(person1=pairing.person1, person2=pairing.person2, auto=pairing.auto)
        payload.update(pairing=pairing.rule)
        payload.update(people1=counts[0], people2=counts[1])
        print(json.dumps(payload))
        return 0
    print_match(result)
    return 0


def print_match(result: Match) -> None:
    """The plain-text answer of ``pose match``: the similarity, its verdict and the three
    worst joints (or angles)."""
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
