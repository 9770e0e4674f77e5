"""``pose video INPUT OUTPUT``: an annotated video, and per-frame keypoints as JSON or CSV."""

from __future__ import annotations

import argparse
import sys

from pose.cli.common import add_common, command, end_progress_line


def add_parser(sub) -> None:
    """The ``video`` subcommand's arguments, on ``sub`` (argparse's subparsers)."""
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
        "--3d",
        dest="lift3d",
        action="store_true",
        help="also 3D landmarks per person in --json (off by default: about 15-40 ms per "
        "person per frame on two cores; docs/pose3d.md)",
    )
    video.add_argument(
        "--second-opinion",
        action="store_true",
        help="BlazePose's landmark model also reads each tracked person from a crop followed "
        "frame to frame, fused per joint with OpenPose's (off by default: about 25-50 ms per "
        "person, up to four, per frame on two cores; docs/video-and-webcam.md)",
    )
    video.add_argument(
        "--full-frames",
        action="store_true",
        help="run the network on every whole frame, not only around the people found",
    )
    add_common(video)


@command("video")
def run_video(args: argparse.Namespace) -> int:
    from pathlib import Path

    # Looked up when the command runs: the video stack loads only for it, and tests replace
    # pose.video.process.process_video.
    from pose.video.process import process_video

    def shown(stage: str):
        def show(done: int, total: int | None) -> None:
            if sys.stderr.isatty():
                # Padded: the drawing line overwrites the longer finding line.
                line = f"{stage}: {done}/{total or '?'} frames".ljust(40)
                print(f"\r{line}", end="", file=sys.stderr, flush=True)

        return show

    result = process_video(
        args.input,
        args.output,
        size=args.size,
        threshold=args.threshold,
        every=args.every,
        smooth=args.smooth,
        progress=shown("finding people"),
        drawing_progress=shown("drawing"),
        lift3d=args.lift3d,
        second_opinion=args.second_opinion,
        **({"regions": None} if args.full_frames else {}),
    )
    end_progress_line()
    if args.json:
        Path(args.json).write_text(result.to_json())
    if args.csv:
        Path(args.csv).write_text(result.to_csv())
    print(
        f"wrote {args.output}: {len(result.frames)} frames, {result.width}x{result.height} "
        f"at {float(result.fps):.3g} fps in {result.seconds:.1f} s "
        f"({result.processing_fps:.1f} frames/s)"
    )
    tracked = len(result.person_ids())
    print(
        f"{tracked} {'person' if tracked == 1 else 'people'} tracked "
        "(IDs drawn, and in the JSON and CSV)"
    )
    if result.audio_dropped:
        print("note: the audio track was not copied (the output is video only)")
    return 0
