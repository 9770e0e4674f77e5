"""``pose batch INPUT`` (every image of a folder or glob, optionally on Ray; native and COCO
JSON) and ``pose eval RESULTS ANNOTATIONS`` (COCOeval keypoint AP)."""

from __future__ import annotations

import argparse
import json
import sys

from pose.cli.common import EXIT_SOME_FAILED, add_common, command


def add_parsers(sub) -> None:
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
        description="Score RESULTS (pose batch's native or COCO JSON, or any COCO result "
        "list) against a COCO annotation file with pycocotools (pip install '.[eval]'). "
        "Results are joined to the annotated images by file name, or by image id where "
        "a result names no file; the images that join none are listed on stderr. Every "
        "annotated image counts; images without results are misses.",
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

    from pose.batch.folder import BatchSettings, find_inputs, journal_path, local_runner, run_batch
    from pose.network.registry import resolve_backend
    from pose.photo.estimate import resolve_box

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
        from pose.batch.cluster import ray_runner

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
    from pose.batch.evaluate import evaluate_report

    stats, left_out = evaluate_report(args.results, args.annotations)
    if left_out:
        shown = ", ".join(left_out[:20]) + (
            f" and {len(left_out) - 20} more" if len(left_out) > 20 else ""
        )
        print(
            f"not joined to the annotations (neither file name nor id), left out: {shown}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({name: round(value, 4) for name, value in stats.items()}))
        return 0
    for name, value in stats.items():
        print(f"{name:<10} {value:.3f}")
    return 0
