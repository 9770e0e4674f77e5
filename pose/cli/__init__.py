"""Command line: ``pose estimate|match|video|compare-videos|count-reps ...`` (installed),
or ``python -m pose ...``.

Every failure the user can fix prints one line to stderr and exits non-zero.

Each command's arguments and runner live in a module of their own (``estimate``, ``match``,
``video``, ``compare`` for compare-videos and count-reps, ``batch`` for batch and eval);
``common`` holds what they share. Their names are importable from here, as they were when
this package was one module.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pose.cli import batch, compare, estimate, match, video
from pose.cli.batch import add_parsers as add_batch_parsers
from pose.cli.batch import run_batch_command, run_eval
from pose.cli.common import (
    COMMANDS,
    EXIT_INPUT,
    EXIT_MODEL,
    EXIT_SOME_FAILED,
    add_common,
    add_mode,
    command,
    log,
    photo_mode,
)
from pose.cli.compare import add_people, run_compare_videos, run_count_reps
from pose.cli.estimate import run_estimate
from pose.cli.match import run_match
from pose.cli.video import run_video
from pose.network.registry import BACKEND_ENV

__all__ = [
    "COMMANDS",
    "EXIT_INPUT",
    "EXIT_MODEL",
    "EXIT_SOME_FAILED",
    "add_batch_parsers",
    "add_common",
    "add_mode",
    "add_people",
    "build_parser",
    "command",
    "log",
    "main",
    "photo_mode",
    "run_batch_command",
    "run_compare_videos",
    "run_count_reps",
    "run_estimate",
    "run_eval",
    "run_match",
    "run_video",
    "silence_native_stderr",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # `pose` once installed (its console script), else `python -m pose`.
        prog="pose" if Path(sys.argv[0]).name == "pose" else "python -m pose",
        description="Find human body keypoints and compare poses.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    estimate.add_parser(sub)
    match.add_parser(sub)
    video.add_parser(sub)
    compare.add_parsers(sub)
    batch.add_parsers(sub)
    return parser


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
    from pose.media.images import InputError

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
