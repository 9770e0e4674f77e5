"""The Match tab: how alike the poses in two photos are, in percent.

Each photo shows its people, numbered, as soon as it is uploaded. By default the largest
person of image 1 is compared with whoever stands at the same place in image 2; the user
picks others by number or by clicking on them.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict

import gradio as gr
import numpy as np

from pose.body.types import Pose
from pose.match import (
    AUTO,
    METHOD_3D,
    WORST_BELOW,
    Match,
    Pairing,
    choose_pair,
    match,
    person_at,
)
from pose.match import DEFAULT_METHOD as DEFAULT_MATCH_METHOD
from pose.media.images import load_image, number_input
from pose.output.overlay import draw_numbered, draw_overlay
from pose.pose3d.blazepose import Pose3DError, lift_one
from pose.pose3d.people import DEFAULT_MODE, estimate_people
from ui.components import (
    cached_image_output,
    checked_by_handler,
    clear_on_failure,
    example_pairs,
    fail,
    image_path_input,
    photo_mode_input,
    user_error,
)

MATCH_HELP = """
Compare the poses in two photos (upload, example, or a webcam snapshot) and press
**Compare**. The score is 100 % for the same pose wherever the people stand and whatever
the photo sizes. Each photo's people appear numbered as soon as it is loaded, largest
first. **Who is compared:** with **0** (the default) the largest person in image 1 and
whoever stands at the same place in image 2, so a moved, resized or cropped copy of a
photo compares the same person; **click a person** (or type their number) to choose
another. The overlay shows the second skeleton (orange) aligned on the first
(blue); red rings mark the joints that differ most.
"""

MATCH_METHOD_CHOICES = [
    ("Normalized", "normalized"),
    ("OKS (COCO)", "oks"),
    ("Joint angles", "angles"),
    ("Classic", "classic"),
    ("3D (any camera angle)", "3d"),
]
METHOD_INFO = (
    "Normalized: body shapes with position, size and tilt removed. OKS: COCO's keypoint"
    " similarity, strict on the face. Joint angles: bends of elbows, shoulders, hips and"
    " knees. Classic: the original pixel distance. 3D: both people lifted to 3D and"
    " compared whatever the camera's angle (slower; docs/pose3d.md)."
)
MATCH_TABLE_HEADERS = ["joint", "difference", "unit", "score %"]
PERSON_INFO = (
    "0 = automatic: the largest in image 1, whoever stands at the same place in image 2. "
    "Or click a person."
)


def plural(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def pairing_line(pairing: Pairing, counts: tuple[int, int]) -> str:
    """Which people were compared, and whether they were chosen automatically."""
    one = f"person {pairing.person1} of {counts[0]} in image 1"
    two = f"person {pairing.person2} of {counts[1]} in image 2"
    if pairing.rule == "best match":
        return f"The pair that matches best: {one} and {two} (click a person to choose another)."
    if pairing.rule == "same place":
        return (
            f"Compared {one} with {two}, the one at the same place in the picture "
            "(click a person to choose another)."
        )
    return f"Compared {one} with {two}."


def match_summary(
    result: Match,
    pairing: Pairing | None = None,
    counts: tuple[int, int] = (1, 1),
    seconds: float | None = None,
) -> str:
    """The similarity, its verdict, how it was reached and whom it compared, as Markdown."""
    count = len(result.joints)
    what = "angles" if result.method == "angles" else "joints"
    details = [result.method, f"{count} {what} compared"]
    if result.mirrored:
        details.append("left/right mirrored fits better")
    if abs(result.rotation) >= 1.0:
        details.append(f"turned {result.rotation:+.0f}°")
    if seconds is not None:
        details.append(f"{seconds:.1f} s")
    text = f"# {result.similarity:.1f} %\n**{result.verdict}** · {' · '.join(details)}"
    if pairing is not None:
        text += f"\n\n{pairing_line(pairing, counts)}"
    return text


def person_number(value: float | None, label: str) -> int:
    """The person field as a whole number: a person (1 or more), 0 (empty too) for the
    default rule, -1 to search for the best-matching pair. Anything else (an API client may
    send "abc") is an InputError that names the field."""
    if value is None or value == "":
        return AUTO
    return int(number_input(value, f"The person number in {label}", -1, 999, whole=True))


class PeopleCache:
    """The people found in the last few photos, by file and photo mode.

    Compare finds the people of the photos whose previews found them a moment before; in
    the accurate mode that is three passes a photo, so Compare would take twice as long as
    it needs. Only keypoints are kept, never pixels. A file is known by its path, size and
    modification time: Gradio names an upload's file after its content's hash. Each
    person's 3D body from the same photo pass rides along (for the 3D method), or None.
    """

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._people: OrderedDict[tuple, tuple[tuple[Pose, ...], tuple]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(path: str, mode: str) -> tuple:
        stat = os.stat(path)
        return (os.path.realpath(path), stat.st_size, stat.st_mtime_ns, mode)

    def get(self, key: tuple) -> tuple[tuple[Pose, ...], tuple] | None:
        with self._lock:
            if key in self._people:
                self._people.move_to_end(key)
            return self._people.get(key)

    def put(self, key: tuple, people: tuple[tuple[Pose, ...], tuple]) -> None:
        with self._lock:
            self._people[key] = people
            self._people.move_to_end(key)
            while len(self._people) > self.size:
                self._people.popitem(last=False)


PEOPLE = PeopleCache()


def find_people(path: str, mode: str = DEFAULT_MODE) -> tuple[np.ndarray, list[Pose]]:
    """The photo's pixels and its people in numbering order (largest first), found in the
    photo ``mode`` (the preview and Compare use the same, so the numbers agree); people
    found for the same file and mode a moment before are reused (:class:`PeopleCache`)."""
    pixels, people, _ = find_people_3d(path, mode)
    return pixels, people


def find_people_3d(path: str, mode: str = DEFAULT_MODE) -> tuple[np.ndarray, list[Pose], list]:
    """:func:`find_people`, and each person's 3D body from the same photo pass (the
    accurate mode's landmark run; None where it read none, and always in the fast mode)."""
    mode = mode or DEFAULT_MODE
    pixels = load_image(path)  # checks the file first, whatever is cached
    key = PeopleCache.key(path, mode)
    found = PEOPLE.get(key)
    if found is None:
        people, bodies = estimate_people(pixels, mode).numbered()
        found = (tuple(people), tuple(bodies))
        PEOPLE.put(key, found)
    return pixels, list(found[0]), list(found[1])


def match_images(
    image1: str | None,
    image2: str | None,
    method: str = DEFAULT_MATCH_METHOD,
    mirror: bool = False,
    person1: float = AUTO,
    person2: float = AUTO,
    mode: str = DEFAULT_MODE,
) -> tuple[np.ndarray, np.ndarray, str, list[list], np.ndarray, dict]:
    """Say how alike the poses in two images are, in percent.

    Args:
        image1: the reference photo.
        image2: the photo compared with it.
        method: "normalized" (default), "oks", "angles", "classic", or "3d" (both people
            lifted to 3D and compared whatever the camera's angle).
        mirror: also try the left/right-swapped second pose.
        person1: the person compared in image 1, numbered largest first; 0 (default):
            the largest, or with person2 given, whoever stands at that person's place;
            -1: search for the best-matching pair.
        person2: the person compared in image 2, numbered largest first; 0 (default):
            whoever stands at the same place as the person of image 1; -1: search for
            the best-matching pair.
        mode: the photo mode, "accurate" (default: the multi-pass mode, three passes
            fused with BlazePose's second opinion on the 4 largest people, about 5x the
            time) or "fast" (one pass).

    Returns:
        image 1 and image 2 with numbered skeletons (the compared people's numbers green),
        the similarity with a verdict and who was compared (Markdown), the per-joint table
        (worst first), the two skeletons aligned on one canvas, and the result as JSON
        (similarity, method, joints, breakdown, person1, person2, auto, ...).
    """
    started = time.perf_counter()
    if not image1 or not image2:
        raise fail("Please provide both images.")
    try:
        numbers = (person_number(person1, "image 1"), person_number(person2, "image 2"))
        photo1 = find_people_3d(image1, mode)
        photo2 = find_people_3d(image2, mode)
        result, pairing = _compared(photo1, photo2, numbers, method, bool(mirror))
    except (ValueError, Pose3DError) as exc:  # InputError, MatchError; 3D model missing
        raise user_error(exc) from None
    return _match_outputs(result, pairing, photo1[:2], photo2[:2], time.perf_counter() - started)


def _compared(photo1: tuple, photo2: tuple, numbers: tuple[int, int], method: str, mirror: bool):
    """The pair to compare (``numbers``: the people asked for, :func:`person_number`) and
    their comparison by ``method``: (the result, the pairing). ``photo1``, ``photo2``: each
    photo's (RGB pixels (H, W, 3), people, 3D bodies) as :func:`find_people_3d` gives them."""
    (pixels1, people1, _), (pixels2, people2, _) = photo1, photo2
    # The 3D method compares the chosen pair's bodies from the photo pass (lifted now
    # only where it read none); a pair left to the app is chosen in 2D.
    lifting = method == METHOD_3D
    pairing = choose_pair(
        people1, people2, numbers[0], numbers[1],
        method=DEFAULT_MATCH_METHOD if lifting else method, mirror=mirror,
        sizes=((pixels1.shape[1], pixels1.shape[0]), (pixels2.shape[1], pixels2.shape[0])),
    )  # fmt: skip
    result = pairing.result
    if lifting:
        result = _match_in_3d(photo1, photo2, pairing, mirror)
    return result, pairing


def _match_in_3d(photo1: tuple, photo2: tuple, pairing, mirror: bool):
    """Compare the chosen pair's 3D bodies from the photo pass, lifting only where it read
    none. ``photo1``/``photo2``: (RGB pixels (H, W, 3), people, 3D bodies or None each)."""
    bodies = [
        lift_one(pixels, people[number - 1], label, read[number - 1])
        for (pixels, people, read), number, label in (
            (photo1, pairing.person1, "image 1"),
            (photo2, pairing.person2, "image 2"),
        )
    ]
    return match(bodies[0], bodies[1], method=METHOD_3D, mirror=mirror)


def _match_outputs(
    result, pairing, photo1: tuple, photo2: tuple, seconds: float
) -> tuple[np.ndarray, np.ndarray, str, list[list], np.ndarray, dict]:
    """The Match tab's six outputs for ``result`` between the people ``pairing`` chose.
    ``photo1``/``photo2``: (RGB pixels (H, W, 3), people numbered largest first)."""
    (pixels1, people1), (pixels2, people2) = photo1, photo2
    first, second = people1[pairing.person1 - 1], people2[pairing.person2 - 1]
    worst = result.worst(3, below=WORST_BELOW)
    worst_second = result.worst_in_second(3, below=WORST_BELOW)
    annotated1 = draw_numbered(pixels1, people1, pairing.person1, highlight=worst)
    annotated2 = draw_numbered(pixels2, people2, pairing.person2, highlight=worst_second)
    aligned = result.aligned if result.aligned is not None else second
    overlay = draw_overlay(first, aligned, worst, mirrored=result.mirrored)
    rows = [
        [item.joint.label, round(item.difference, 3), result.unit, round(item.score, 1)]
        for item in result.breakdown
    ]
    counts = (len(people1), len(people2))
    payload = result.to_dict()
    payload.update(person1=pairing.person1, person2=pairing.person2, auto=pairing.auto)
    payload.update(pairing=pairing.rule)
    payload.update(people1=counts[0], people2=counts[1])
    summary = match_summary(result, pairing, counts, seconds)
    return annotated1, annotated2, summary, rows, overlay, payload


# ------------------------------------------------------------------ per-photo preview


def show_people(
    image: str | None, person: float | None, cache: dict | None, mode: str = DEFAULT_MODE
) -> tuple[np.ndarray | None, dict | None, str]:
    """The photo's people, numbered (the chosen one green), as soon as it is loaded.

    ``cache`` keeps the last photo's people per browser session, so picking another
    person redraws without running the model again. Returns (preview, cache, a line).
    """
    if not image:
        return None, None, ""
    try:
        chosen = person_number(person, "the photo")
        if cache and (cache.get("path"), cache.get("mode")) == (image, mode):
            people = cache["people"]
            pixels = load_image(image)
        else:
            pixels, people = find_people(image, mode)
    except ValueError as exc:  # InputError included
        raise user_error(exc) from None
    cache = {"path": image, "mode": mode, "people": people}
    if not people:
        return pixels, cache, "No person found in this photo."
    if chosen > len(people):
        line = f"{plural(len(people))}, numbered largest first: there is no person {chosen}."
    elif chosen > 0:
        line = f"{plural(len(people))}; person {chosen} is chosen (green)."
    elif len(people) == 1:
        line = "1 person."
    else:
        line = f"{plural(len(people))}, numbered largest first; click one to choose them."
    return draw_numbered(pixels, people, chosen), cache, line


def pick_clicked(cache: dict | None, event: gr.SelectData) -> int:
    """The number of the person nearest to where the user clicked on the preview."""
    people = (cache or {}).get("people") or []
    index = event.index if isinstance(event.index, (list, tuple)) else None
    if not people or not index or len(index) < 2:
        return gr.skip()
    number = person_at(people, float(index[0]), float(index[1]))
    return gr.skip() if number is None else number


def refresh_side(
    image: str | None, person: float | None, cache: dict | None, mode: str = DEFAULT_MODE
) -> tuple:
    """A photo or pick changed: its preview (see show_people), and the last result cleared
    since it no longer applies (left alone when the photo was removed, so a message that
    says why stays)."""
    if not image:
        return None, None, "", gr.skip(), gr.skip(), gr.skip(), gr.skip()
    return *show_people(image, person, cache, mode), "", None, None, None


def build_side(number: int, snapshot: dict, webcam: gr.WebcamOptions):
    """One photo's column: the input, its numbered people, the person field, a line."""
    label = "Image 1 (reference)" if number == 1 else "Image 2"
    image = image_path_input(
        label=label, webcam_options=webcam, elem_id=f"match-image-{number}", **snapshot
    )
    preview = cached_image_output(
        label=f"People in image {number}",
        elem_id=f"match-people-{number}",
        interactive=False,
        buttons=[],
    )
    found = gr.Markdown(elem_id=f"match-found-{number}")
    person = checked_by_handler(
        gr.Number(
            AUTO,
            label=f"Person in image {number}",
            precision=0,
            minimum=0,
            info=PERSON_INFO,
            elem_id=f"match-person-{number}",
        )
    )
    return image, preview, found, person


def build_match_tab() -> None:
    with gr.Tab("Match"):
        gr.Markdown(MATCH_HELP)
        snapshot = {"sources": ["upload", "webcam", "clipboard"]}
        # Unmirrored snapshots: a mirrored one would swap the person's left and right.
        webcam = gr.WebcamOptions(mirror=False)
        sides = []
        with gr.Row():
            for number in (1, 2):
                with gr.Column():
                    sides.append(build_side(number, snapshot, webcam))
        (image1, preview1, _, person1), (image2, preview2, _, person2) = sides
        method, mirror, mode, run = _build_match_options()
        score, table, overlay, result_json = _build_match_results()
        results = [score, table, overlay, result_json]
        outputs = [preview1, preview2, score, table, overlay, result_json]
        run_event = run.click(
            match_images,
            [image1, image2, method, mirror, person1, person2, mode],
            outputs,
            api_name="match_images",
            concurrency_limit=2,
            show_progress_on=[score],
        )
        clear_on_failure(run_event, outputs, score)
        for image, preview, found, person in sides:
            cache = gr.State(None)  # this photo's people, per browser session
            shown = gr.on(
                [image.change, person.change, mode.change],
                refresh_side,
                [image, person, cache, mode],
                [preview, cache, found, *results],
                api_visibility="private",
                concurrency_limit=2,
                show_progress_on=[preview],
            )
            clear_on_failure(shown, [image, preview, found, *results], score)
            preview.select(pick_clicked, [cache], [person], api_visibility="private", queue=False)
        pairs = example_pairs()
        if pairs:
            gr.Examples(pairs, inputs=[image1, image2], label="Example pairs")


def _build_match_options() -> tuple:
    """The Match tab's method, mirror and photo mode controls and its Compare button."""
    with gr.Row():
        method = gr.Dropdown(
            MATCH_METHOD_CHOICES,
            value=DEFAULT_MATCH_METHOD,
            label="Method",
            info=METHOD_INFO,
            elem_id="match-method",
            min_width=300,  # a row of its own on a phone, so no choice is cut short
        )
        mirror = gr.Checkbox(
            False,
            label="Mirror",
            info="Also try the left/right-swapped second pose.",
            elem_id="match-mirror",
        )
        mode = photo_mode_input(elem_id="match-mode")
        run = gr.Button("Compare", variant="primary")
    return method, mirror, mode, run


def _build_match_results() -> tuple:
    """The Match tab's result components: score, per-joint table, overlay, JSON."""
    with gr.Row():
        with gr.Column(scale=1):
            score = gr.Markdown(label="Similarity", elem_id="match-score")
            table = gr.Dataframe(
                headers=MATCH_TABLE_HEADERS,
                label="Per joint, worst first",
                wrap=True,
                elem_id="match-table",
                elem_classes=["compact-table"],
                column_widths=["30%", "26%", "24%", "20%"],
            )
        with gr.Column(scale=1):
            overlay = cached_image_output(label="Aligned skeletons", elem_id="match-overlay")
    with gr.Accordion("Result as JSON", open=False):
        result_json = gr.JSON(label="Result")
    return score, table, overlay, result_json
