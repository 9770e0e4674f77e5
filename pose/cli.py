"""Command line: ``pose estimate|match|video|compare-videos|count-reps ...`` (installed),
or ``python -m pose ...``.

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
        help="accurate: three passes fused, better on small or large people and dark "
        "photos (about 4x the time); fast: one pass (default: accurate, or fast with "
        "--scales/--flip)",
    )


def photo_mode(args: argparse.Namespace) -> str:
    """The photo mode asked for; --scales and --flip shape the fast single pass."""
    custom = getattr(args, "flip", False) or getattr(args, "scales", "1") not in ("1", "1.0")
    if args.mode is None:
        return "fast" if custom else "accurate"
    if args.mode == "accurate" and custom:
        raise ValueError("--scales and --flip apply to --mode fast only.")
    return args.mode


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
    estimate.add_argument(
        "--3d",
        dest="lift3d",
        action="store_true",
        help='also 3D landmarks per person (BlazePose GHUM, metres; adds "landmarks3d" '
        "to --json; docs/pose3d.md)",
    )
    add_mode(estimate)
    add_common(estimate)

    from pose.match import ALL_METHODS, DEFAULT_MAX_ROTATION, DEFAULT_METHOD

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
    match.add_argument(
        "--person1", type=int, default=1, help="person in image 1, largest = 1; 0 = best pair"
    )
    match.add_argument(
        "--person2", type=int, default=1, help="person in image 2, largest = 1; 0 = best pair"
    )
    match.add_argument("--overlay", help="write the two aligned skeletons to this image file")
    match.add_argument("--json", action="store_true", help="print the result as JSON")
    add_mode(match)
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
        "--3d",
        dest="lift3d",
        action="store_true",
        help="also 3D landmarks per person in --json (off by default: about 15-40 ms per "
        "person per frame on two cores; docs/pose3d.md)",
    )
    video.add_argument(
        "--full-frames",
        action="store_true",
        help="run the network on every whole frame, not only around the people found",
    )
    add_common(video)

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
    add_batch_parsers(sub)
    return parser


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


def _end_progress_line() -> None:
    """Finish the progress line :func:`_progress` left on a terminal, so output starts afresh."""
    if sys.stderr.isatty():
        print(file=sys.stderr)


@command("estimate")
def run_estimate(args: argparse.Namespace) -> int:
    from PIL import Image

    from pose.draw import draw_poses
    from pose.estimate import estimate, parse_scales
    from pose.media import load_image
    from pose.photo import estimate_photo

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
        result = estimate_photo(
            image, mode, size=args.size, threshold=args.threshold, largest_only=args.largest
        )
    lifted = []
    if args.lift3d:
        from pose.pose3d import lift

        lifted = lift(image, result.people)
    if args.out:
        Image.fromarray(draw_poses(image, result.people)).save(args.out)
    if args.json:
        from pose.export import estimate_dict

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
        lift3d=args.lift3d,
        **({"regions": None} if args.full_frames else {}),
    )
    _end_progress_line()
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


@command("match")
def run_match(args: argparse.Namespace) -> int:
    from PIL import Image

    from pose.match import DEFAULT_METHOD, METHOD_3D, choose_pair, match
    from pose.media import load_image
    from pose.overlay import draw_overlay
    from pose.photo import estimate_photo
    from pose.pose3d import lift_one

    mode = photo_mode(args)

    images = [load_image(path) for path in (args.image1, args.image2)]
    people = [
        estimate_photo(image, mode, size=args.size, threshold=args.threshold).people
        for image in images
    ]
    counts = [len(found) for found in people]
    labels = tuple(
        f"{label} ({os.path.basename(path)})"
        for label, path in (("image 1", args.image1), ("image 2", args.image2))
    )
    # The 3D method lifts only the chosen pair; a pair left to the app is chosen in 2D.
    lifting = args.method == METHOD_3D
    pairing = choose_pair(
        people[0], people[1], args.person1, args.person2,
        DEFAULT_METHOD if lifting else args.method, args.mirror, labels, args.max_rotation,
    )  # fmt: skip
    chosen = [people[0][pairing.person1 - 1], people[1][pairing.person2 - 1]]
    result = pairing.result
    if lifting:
        bodies = [lift_one(image, person, label) for image, person, label in zip(
            images, chosen, labels, strict=True)]  # fmt: skip
        result = match(bodies[0], bodies[1], METHOD_3D, args.mirror, args.max_rotation)
    if args.overlay:
        aligned = result.aligned if result.aligned is not None else chosen[1]
        Image.fromarray(
            draw_overlay(chosen[0], aligned, result.worst(3, below=70.0), mirrored=result.mirrored)
        ).save(args.overlay)
    if args.json:
        payload = result.to_dict()
        payload.update(person1=pairing.person1, person2=pairing.person2, auto=pairing.auto)
        payload.update(people1=counts[0], people2=counts[1])
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
    _end_progress_line()
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
    from pose.compare import compare_videos

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
    from pose.compare import count_reps

    return _run_on_two_videos(args, count_reps, _print_reps, start=args.start, end=args.end)


def add_batch_parsers(sub) -> None:
    """``pose batch`` (folders, optionally on Ray) and ``pose eval`` (COCOeval)."""
    batch = sub.add_parser(
        "batch",
        help="find keypoints in every image of a folder or glob; native and COCO JSON",
        description="Run every image of a folder or glob (videos too with --videos). Writes "
        "OUT (native JSON, every input in order) and OUT's .coco.json beside it (COCO "
        "keypoint results). An interrupted run resumes from OUT.journal. Files that "
        f"cannot be used are listed and skipped; the exit status is then {EXIT_SOME_FAILED}.",
    )
    batch.add_argument("input", help="folder, glob such as 'photos/**/*.jpg' (quoted), or a file")
    batch.add_argument(
        "--out", default="results.json", help="native results JSON (default: results.json)"
    )
    batch.add_argument("--videos", action="store_true", help="also run the videos found")
    batch.add_argument(
        "--every", type=int, default=1, metavar="N", help="videos: every Nth frame (default: 1)"
    )
    batch.add_argument(
        "--restart", action="store_true", help="ignore the journal of an interrupted run"
    )
    batch.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="spread the work over Ray: no ADDRESS starts a local Ray ($RAY_ADDRESS if set), "
        "'auto' joins this machine's cluster, ray://HEAD:10001 connects as a client "
        "(needs the cluster extra: pip install '.[cluster]')",
    )
    batch.add_argument(
        "--workers", type=int, metavar="N", help="Ray: model workers (default: one per CPU)"
    )
    add_common(batch)

    evaluate = sub.add_parser(
        "eval",
        help="score batch results against COCO annotations (COCOeval keypoint AP)",
        description="Score RESULTS (pose batch's native JSON, matched by file name, or a COCO "
        "result list) against a COCO annotation file with pycocotools "
        "(pip install '.[eval]'). Every annotated image counts; images without results "
        "are misses.",
    )
    evaluate.add_argument("results", help="results.json or results.coco.json of pose batch")
    evaluate.add_argument("annotations", help="COCO keypoint annotations (person_keypoints_*.json)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(backend=None)  # runs no model


class _Progress:
    """A tqdm bar on stderr, shown only on a terminal; counts failures as it goes."""

    def __init__(self) -> None:
        self.bar = None
        self.failed = 0

    def __call__(self, done: int, total: int, record: dict | None) -> None:
        from tqdm import tqdm

        if self.bar is None:
            # disable=None: no bar when stderr is not a terminal (logs, pipes, tests).
            self.bar = tqdm(
                total=total, initial=done, unit="file", file=sys.stderr, disable=None, leave=False
            )
        if record is not None:
            self.failed += "error" in record
            self.bar.update(1)
            if self.failed:
                self.bar.set_postfix(failed=self.failed, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@command("batch")
def run_batch_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pose.batch import BatchSettings, find_inputs, journal_path, local_runner, run_batch
    from pose.estimate import resolve_box
    from pose.model import resolve_backend

    resolve_box(args.size)  # a bad --size fails now, not once per file
    if not 1 <= args.every <= 100:
        raise ValueError("--every must be a whole number from 1 to 100.")
    if args.workers is not None and args.workers < 1:
        raise ValueError("--workers must be 1 or more.")
    paths = find_inputs(args.input, videos=args.videos)
    settings = BatchSettings(
        size=args.size,
        threshold=args.threshold,
        backend=resolve_backend(args.backend),
        videos=args.videos,
        every=args.every,
    )
    if args.ray is None:
        runner = local_runner(settings)
    else:
        from pose.cluster import ray_runner

        runner = ray_runner(settings, address=args.ray or None, workers=args.workers)
    progress = _Progress()
    out = Path(args.out)
    try:
        summary = run_batch(paths, settings, out, runner, restart=args.restart, progress=progress)
    except KeyboardInterrupt:
        print(
            f"interrupted; finished inputs are in {journal_path(out)}: run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 130
    except OSError as exc:  # the results' folder cannot be written
        raise ValueError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    finally:
        progress.close()
    for name, message in summary.failed:
        print(f"failed: {name}: {message}", file=sys.stderr)
    frames = f", {summary.frames} video frames" if settings.videos else ""
    resumed = f" ({summary.resumed} from the journal)" if summary.resumed else ""
    print(
        f"wrote {summary.out} and {summary.coco_out}: {summary.images} images{frames}, "
        f"{summary.people} people, {len(summary.failed)} failed{resumed}; "
        f"{summary.processed} inputs in {summary.seconds:.1f} s ({summary.per_second:.2f}/s)"
    )
    return EXIT_SOME_FAILED if summary.failed else 0


@command("eval")
def run_eval(args: argparse.Namespace) -> int:
    from pose.evaluate import evaluate

    stats = evaluate(args.results, args.annotations)
    if args.json:
        print(json.dumps({name: round(value, 4) for name, value in stats.items()}))
        return 0
    for name, value in stats.items():
        print(f"{name:<10} {value:.3f}")
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
