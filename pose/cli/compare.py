"""``pose compare-videos REFERENCE ATTEMPT`` and ``pose count-reps REFERENCE ATTEMPT``: a
movement in two videos, aligned in time; repetitions of it counted and scored."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from pose.cli.common import add_common, command, end_progress_line


def add_parsers(sub) -> None:
    """The ``compare-videos`` and ``count-reps`` subcommands' arguments, on ``sub``
    (argparse's subparsers)."""
    from pose.sequence import ALIGN_METHODS, DEFAULT_ALIGN, DEFAULT_WINDOW

    compare = sub.add_parser(
        "compare-videos",
        help="compare a movement in two videos, aligned in time (dynamic time warping)",
    )
    compare.add_argument("reference", help="the reference video")
    compare.add_argument("attempt", help="the video compared with it")
    compare.add_argument("--out", metavar="SIDE_BY_SIDE.mp4", help="write both clips side by side")
    compare.add_argument("--json", action="store_true", help="print the result as JSON")
    compare.add_argument(
        "--method",
        choices=ALIGN_METHODS,
        default=DEFAULT_ALIGN,
        help=f"local cost of the alignment (default: {DEFAULT_ALIGN}; docs/sequence.md)",
    )
    compare.add_argument(
        "--window",
        type=_window,
        default=DEFAULT_WINDOW,
        help=f"Sakoe-Chiba band, share of the longer clip, or 'none' (default: {DEFAULT_WINDOW})",
    )
    add_people(compare)
    add_common(compare)

    reps = sub.add_parser(
        "count-reps", help="count and score repetitions of a reference movement in a video"
    )
    reps.add_argument("reference", help="a video of one repetition (or use --start/--end)")
    reps.add_argument("attempt", help="the video with the repetitions")
    reps.add_argument("--json", action="store_true", help="print the result as JSON")
    reps.add_argument("--start", type=float, metavar="S", help="the repetition starts here (s)")
    reps.add_argument("--end", type=float, metavar="S", help="the repetition ends here (s)")
    add_people(reps)
    add_common(reps)


def _window(text: str) -> float | None:
    if text.lower() in ("none", "off", "0"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'none': {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("the window is a share of the clip, 0 to 1")
    return value


def add_people(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--person1", type=int, default=1, help="person in the reference, largest = 1"
    )
    parser.add_argument("--person2", type=int, default=1, help="person in the attempt, largest = 1")


def _progress(label: str, done: int, total: int | None) -> None:
    if sys.stderr.isatty():
        print(f"\r{label}: {done}/{total or '?'} frames   ", end="", file=sys.stderr, flush=True)


def _run_on_two_videos(
    args: argparse.Namespace,
    function: Callable[..., object],
    report: Callable[[object], None],
    **options: object,
) -> int:
    """Run ``function`` (compare_videos or count_reps) on the reference and attempt videos
    with the options both commands share, then print the result: as JSON with --json,
    else as ``report`` words it."""
    result = function(
        args.reference,
        args.attempt,
        person1=args.person1,
        person2=args.person2,
        size=args.size,
        threshold=args.threshold,
        progress=_progress,
        **options,
    )
    end_progress_line()
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        report(result)
    return 0


def _print_comparison(result, out: str | None) -> None:
    """compare-videos' text output: the score, the worst moments, notes and the video
    written to ``out``."""
    comparison = result.comparison
    ref, att = comparison.reference, comparison.attempt
    print(
        f"similarity {comparison.similarity:.1f} %: {comparison.verdict} "
        f"({len(comparison.alignment)} aligned pairs; reference {len(ref)} frames at "
        f"{ref.fps:.3g} fps, attempt {len(att)} frames at {att.fps:.3g} fps)"
    )
    print("worst moments (reference s / attempt s):")
    for moment in comparison.worst:
        joints = ", ".join(joint.label for joint in moment.joints) or "-"
        print(
            f"  {moment.reference_time:6.2f} / {moment.attempt_time:6.2f}  "
            f"{moment.similarity:5.1f} %  {joints}"
        )
    for note in comparison.notes:
        print(f"note: {note}")
    if out:
        print(f"wrote {out}")


def _print_reps(result) -> None:
    """count-reps' text output: how many repetitions, one line each."""
    print(f"{result.count} repetition{'' if result.count == 1 else 's'} found")
    for number, rep in enumerate(result.reps, start=1):
        flag = "  <- weakest" if rep.weakest else ""
        print(
            f"  {number}: frames {rep.start}-{rep.end} ({rep.start / rep.fps:.2f}-"
            f"{rep.end / rep.fps:.2f} s)  {rep.score:5.1f} %{flag}"
        )


@command("compare-videos")
def run_compare_videos(args: argparse.Namespace) -> int:
    from pose.sequence.compare import compare_videos

    return _run_on_two_videos(
        args,
        compare_videos,
        lambda result: _print_comparison(result, args.out),
        out=args.out,
        method=args.method,
        window=args.window,
    )


@command("count-reps")
def run_count_reps(args: argparse.Namespace) -> int:
    from pose.sequence.compare import count_reps

    return _run_on_two_videos(args, count_reps, _print_reps, start=args.start, end=args.end)
