"""Whole folders: find the inputs, run each one, journal progress, write native and COCO JSON.

The pieces are plain functions so that the command line (``pose batch``), the Ray runner
(:mod:`pose.batch.cluster`) and the tests share them:

- :func:`find_inputs` turns a folder, a glob or one file into a sorted list of paths;
- :func:`process_file` runs one image or video and returns a JSON-ready record; a file that
  cannot be used gives ``{"error": message}`` instead of raising, so a run never stops at it;
- :func:`run_batch` drives a *runner* (local or Ray) over the inputs not yet in the
  journal, appends each finished record to it, and at the end writes ``results.json``
  (native: every input in input order) and ``results.coco.json`` (COCO keypoint results);
- :func:`to_coco` converts records to COCO's result format (``image_id``, ``category_id``
  1, ``keypoints`` as 17 x (x, y, score) in COCO order, ``bbox`` [x, y, w, h], ``score``).

The journal (``results.json.journal``, JSON lines) lets an interrupted run resume: its first
line holds the settings, every further line one finished input. It is removed once the
results are written.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from pose.body.skeleton import OPENPOSE_FOR_COCO
from pose.body.types import Pose
from pose.media.images import InputError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
PERSON_CATEGORY = 1  # COCO's category id for "person"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv"})
# Glob characters: INPUT is a pattern rather than a path when it holds one of these.
_GLOB = re.compile(r"[*?\[]")
_TRAILING_DIGITS = re.compile(r"(\d+)$")

# A runner takes (index, path) pairs and yields (index, record) pairs in any order.
Task = tuple[int, Path]
Runner = Callable[[Sequence[Task]], Iterator[tuple[int, dict]]]


@dataclass(frozen=True)
class BatchSettings:
    """What every input is run with; a journal only resumes a run with equal settings."""

    size: str = "balanced"
    threshold: float = 0.1
    backend: str = "tflite"
    videos: bool = False
    every: int = 1  # videos: every Nth frame

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BatchSummary:
    """What a finished run did: counts, failures (file, message) and its wall time."""

    out: Path
    coco_out: Path
    total: int
    processed: int  # run now (the rest came from the journal)
    resumed: int
    images: int
    frames: int
    people: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Inputs run in this session per wall-clock second."""
        return self.processed / self.seconds if self.seconds > 0 else 0.0


# --------------------------------------------------------------------------- inputs


def find_inputs(source: str | os.PathLike, videos: bool = False) -> list[Path]:
    """The images (and with ``videos`` the videos) a folder, glob or single file names.

    A folder gives its files (not its subfolders'), a glob every matching file (``**``
    recurses), both filtered by suffix and sorted by path. A single file is taken as it is,
    whatever its suffix, so that it gets a proper error if it is not an image. Raises
    :class:`InputError` when nothing is found.
    """
    text = os.fspath(source)
    suffixes = IMAGE_SUFFIXES | VIDEO_SUFFIXES if videos else IMAGE_SUFFIXES
    kinds = "images or videos" if videos else "images"
    path = Path(text)
    if path.is_file():
        return [path]
    if path.is_dir():
        candidates = [entry for entry in path.iterdir() if entry.is_file()]
    elif _GLOB.search(text):
        candidates = [Path(name) for name in glob.glob(text, recursive=True)]
        candidates = [entry for entry in candidates if entry.is_file()]
    else:
        raise InputError(
            f"Not found: {text} (give a folder, a glob such as 'photos/*.jpg', or a file)."
        )
    found = sorted(entry for entry in candidates if entry.suffix.lower() in suffixes)
    if not found:
        raise InputError(f"No {kinds} found in {text}.")
    return found


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def assign_image_ids(paths: Sequence[Path]) -> list[int]:
    """COCO image ids: the number a file name ends with (``000000000785.jpg`` -> 785,
    ``COCO_val2014_000000000192.jpg`` -> 192) when every name has a distinct one, so the
    results line up with COCO's annotations; else 1, 2, 3, ... in input order."""
    numbers = []
    for path in paths:
        found = _TRAILING_DIGITS.search(path.stem)
        numbers.append(int(found.group(1)) if found else None)
    if None not in numbers and len(set(numbers)) == len(numbers):
        return numbers
    return list(range(1, len(paths) + 1))


# --------------------------------------------------------------------------- one input


def process_file(path: Path, settings: BatchSettings, model=None) -> dict:
    """Run one image or video; a JSON-ready record (no ``file`` or ``image_id`` yet).

    Image: ``{"kind": "image", "width", "height", "people": [Pose.to_dict(), ...]}``.
    Video: ``{"kind": "video", "width", "height", "fps", "frames": [{"frame", "time",
    "people"}, ...]}`` for every ``settings.every``-th frame, each person with their
    tracking ``"id"`` too. A file that cannot be used:
    ``{"kind": ..., "error": "message"}``. Model failures (missing weights) still raise.
    """
    kind = "video" if is_video(path) else "image"
    try:
        if kind == "video":
            return _process_video(path, settings, model)
        return _process_image(path, settings, model)
    except (InputError, ValueError, OSError) as exc:
        # ValueError and OSError cover what slips past the checks in pose.media.images and
        # pose.video.process (a decoder's own complaint); one bad file must not end the run.
        message = str(exc) if isinstance(exc, InputError) else f"{path.name}: {exc}"
        return {"kind": kind, "error": message}


def _process_image(path: Path, settings: BatchSettings, model) -> dict:
    from pose.media.images import load_image
    from pose.photo.estimate import estimate

    result = estimate(
        load_image(path), size=settings.size, threshold=settings.threshold, model=model
    )
    return {"kind": "image", **result.to_dict()}


def _process_video(path: Path, settings: BatchSettings, model) -> dict:
    """A video's record from its stream of people (:mod:`pose.video.stream`): every frame
    whole (no region path, so results do not depend on its policy), tracked, not smoothed;
    each person gets their tracking ID (``"id"``) beside :meth:`Pose.to_dict`'s fields."""
    from pose.network.registry import get_model
    from pose.video.stream import PeopleStream, StreamOptions

    options = StreamOptions(
        size=settings.size,
        threshold=settings.threshold,
        every=settings.every,
        model=model or get_model(settings.backend),
        regions=None,
    )
    with PeopleStream(path, options) as stream:
        frames = [frame.keypoints.to_dict() for frame in stream]
    return {
        "kind": "video",
        "width": stream.info.width,
        "height": stream.info.height,
        "fps": round(float(stream.info.fps), 3),
        "frames": frames,
    }


def local_runner(settings: BatchSettings, model=None) -> Runner:
    """Run the tasks one after another in this process, on ``model`` (default: the
    process-wide model of ``settings.backend``)."""

    def run(tasks: Sequence[Task]) -> Iterator[tuple[int, dict]]:
        from pose.network.registry import get_model

        chosen = model or get_model(settings.backend)
        for index, path in tasks:
            yield index, process_file(path, settings, chosen)

    return run


# --------------------------------------------------------------------------- COCO


def coco_keypoints(person: Pose) -> list[float]:
    """A pose as COCO's flat keypoint list: 17 x (x, y, score) in COCO order, 51 floats.

    A joint that was not found is 0, 0, 0 (COCO's "not there"). COCOeval reads only x and
    y of a detection; the third value carries the joint's confidence for other tools.
    """
    rows = person.keypoints[OPENPOSE_FOR_COCO].astype(np.float64)
    rows[rows[:, 2] <= 0] = 0.0
    return [
        round(value, 2) if i % 3 < 2 else round(value, 4)
        for i, value in enumerate(rows.ravel().tolist())
    ]


def coco_bbox(person: Pose) -> list[float]:
    """[x, y, width, height] around the found joints (all 18, the neck included)."""
    x0, y0, x1, y1 = person.bbox()
    return [round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)]


def pose_from_dict(data: dict) -> Pose:
    """The inverse of :meth:`Pose.to_dict` (missing joints come back as 0, 0, 0)."""
    rows = [[x or 0.0, y or 0.0, score] for x, y, score in data["keypoints"]]
    return Pose(keypoints=np.asarray(rows, dtype=np.float32), score=data["score"])


def to_coco(records: Iterable[dict]) -> list[dict]:
    """COCO keypoint results for the image records (videos and failures have none)."""
    results = []
    for record in records:
        if record.get("kind") != "image" or "error" in record:
            continue
        for data in record["people"]:
            person = pose_from_dict(data)
            results.append(
                {
                    "image_id": record["image_id"],
                    # The file's name too, so pose eval joins any dataset's ids by name.
                    **({"file_name": Path(record["file"]).name} if "file" in record else {}),
                    "category_id": PERSON_CATEGORY,
                    "keypoints": coco_keypoints(person),
                    "bbox": coco_bbox(person),
                    "score": round(float(person.score), 4),
                }
            )
    return results


# --------------------------------------------------------------------------- journal


def journal_path(out: Path) -> Path:
    return out.with_name(out.name + ".journal")


def coco_path(out: Path) -> Path:
    """``results.json`` -> ``results.coco.json`` (beside it)."""
    return out.with_name(f"{out.stem}.coco{out.suffix or '.json'}")


def _key(path: Path) -> str:
    return os.path.abspath(path)


def read_journal(path: Path, settings: BatchSettings) -> dict[str, dict]:
    """Finished records by absolute file path from an earlier run with ``settings``.

    A last line cut short by the interruption is ignored (that input runs again). Raises
    :class:`InputError` when the journal was written with other settings.
    """
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if not lines:  # none yet, or killed before its first line
        return {}
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    if header.get("settings") != settings.to_dict():
        raise InputError(
            f"{path} is the journal of a run with other settings ({header.get('settings')}); "
            "run with the same settings to resume it, or add --restart to start over."
        )
    done = {}
    for line in lines[1:]:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            log.info("journal: ignored a line cut short")
            continue
        done[entry.pop("key")] = entry
    return done


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# --------------------------------------------------------------------------- the run


def run_batch(
    paths: Sequence[Path],
    settings: BatchSettings,
    out: Path,
    runner: Runner,
    *,
    restart: bool = False,
    progress: Callable[[int, int, dict | None], None] | None = None,
) -> BatchSummary:
    """Run ``paths`` not yet in ``out``'s journal through ``runner``; write the results.

    ``progress(done, total, record)`` is called once before the first input (``record``
    None, ``done`` = inputs resumed from the journal) and after each input finishes, in
    finishing order. Writes
    ``out`` (native JSON, every input in input order) and :func:`coco_path` of it, then
    removes the journal. Returns a :class:`BatchSummary`.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    journal = journal_path(out)
    if restart:
        journal.unlink(missing_ok=True)
    done = read_journal(journal, settings)
    ids = assign_image_ids(paths)
    todo = [(index, path) for index, path in enumerate(paths) if _key(path) not in done]
    resumed = len(paths) - len(todo)
    if resumed:
        log.info("resuming: %d of %d inputs already done", resumed, len(paths))
    if progress:
        progress(resumed, len(paths), None)
    started = time.perf_counter()
    records = _run_journaled(journal, settings, runner, todo, paths, resumed, progress)
    seconds = time.perf_counter() - started
    ordered = []
    for index, path in enumerate(paths):
        record = records.get(index) or done[_key(path)]
        ordered.append({"file": str(path), "image_id": ids[index], **record})
    native = {"version": FORMAT_VERSION, "settings": settings.to_dict(), "inputs": ordered}
    _write_atomically(out, json.dumps(native))
    _write_atomically(coco_path(out), json.dumps(to_coco(ordered)))
    journal.unlink()
    return _summary(out, ordered, len(todo), resumed, seconds)


def _run_journaled(
    journal: Path,
    settings: BatchSettings,
    runner: Runner,
    todo: Sequence[Task],
    paths: Sequence[Path],
    resumed: int,
    progress: Callable[[int, int, dict | None], None] | None,
) -> dict[int, dict]:
    """Run ``todo`` through ``runner``, appending each finished record to ``journal`` (its
    settings line first when it is new); the records by input index."""
    records: dict[int, dict] = {}
    new_journal = not journal.exists() or journal.stat().st_size == 0
    # A line cut short by a kill has no newline: end it, or the next record would join it.
    cut_short = not new_journal and not journal.read_bytes().endswith(b"\n")
    with journal.open("a", encoding="utf-8") as handle:
        if new_journal:
            handle.write(json.dumps({"settings": settings.to_dict()}) + "\n")
        elif cut_short:
            handle.write("\n")
        for index, record in runner(todo):
            records[index] = record
            # One line per input, flushed: a kill loses at most the input in flight.
            handle.write(json.dumps({"key": _key(paths[index]), **record}) + "\n")
            handle.flush()
            if progress:
                progress(resumed + len(records), len(paths), record)
    return records


def _summary(
    out: Path, ordered: list[dict], processed: int, resumed: int, seconds: float
) -> BatchSummary:
    ok = [record for record in ordered if "error" not in record]
    return BatchSummary(
        out=out,
        coco_out=coco_path(out),
        total=len(ordered),
        processed=processed,
        resumed=resumed,
        images=sum(record["kind"] == "image" for record in ok),
        frames=sum(len(record.get("frames", ())) for record in ok),
        people=sum(len(record.get("people", ())) for record in ok),
        failed=[(record["file"], record["error"]) for record in ordered if "error" in record],
        seconds=seconds,
    )
