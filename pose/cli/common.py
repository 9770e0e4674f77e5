"""What the commands share: exit codes, the registry of command runners, the options every
model command takes, the photo mode, and the end of a progress line."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable

from pose.network.registry import BACKENDS
from pose.network.spec import DEFAULT_PRESET, PRESETS
from pose.photo.estimate import DEFAULT_THRESHOLD

log = logging.getLogger("pose")

EXIT_INPUT = 2
EXIT_MODEL = 3
EXIT_SOME_FAILED = 4  # pose batch: results written, but some inputs could not be used

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


def add_mode(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode",
        choices=("accurate", "fast"),
        help="accurate: three passes fused with BlazePose's second opinion on the 4 "
        "largest people, better on small, large or turned people and dark photos (about "
        "5x the time); fast: one pass (default: accurate, or fast with --scales/--flip)",
    )


def photo_mode(args: argparse.Namespace) -> str:
    """The photo mode asked for; --scales and --flip shape the fast single pass."""
    custom = getattr(args, "flip", False) or getattr(args, "scales", "1") not in ("1", "1.0")
    if args.mode is None:
        return "fast" if custom else "accurate"
    if args.mode == "accurate" and custom:
        raise ValueError("--scales and --flip apply to --mode fast only.")
    return args.mode


def end_progress_line() -> None:
    """Finish the progress line a command left on a terminal, so output starts afresh."""
    if sys.stderr.isatty():
        print(file=sys.stderr)


# Line breaks and other control characters (C0, DEL, C1, Unicode line separators).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\n``, ``\\x1b``): a file
    name holding a line break cannot start a line of its own (a forged ``failed:`` line)."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)
