"""The Webcam tab: live skeletons from the browser's camera, optionally matched against a
reference photo's pose, and the per-frame endpoint for programs."""

from __future__ import annotations

import json

import gradio as gr
import numpy as np

from pose.body.types import Pose
from pose.match import pick_person, rank_by_size
from pose.media.images import load_image
from pose.network.spec import DEFAULT_PRESET
from pose.output.draw import draw_numbered_poses
from pose.output.overlay import draw_numbered
from pose.photo.estimate import DEFAULT_THRESHOLD, estimate
from pose.pose3d.blazepose import Pose3DError
from pose.video.live import DEFAULT_LIVE_SIZE, LiveFrame, WebcamSession, match_live
from ui.components import (
    cached_image_output,
    checked_threshold,
    image_path_input,
    live_frame_input,
    live_image_output,
    size_input,
    threshold_input,
    user_error,
)

# The preview is mirrored like a selfie camera; the handler un-mirrors (see pose.video.live).
WEBCAM_MIRROR = True
WEBCAM_TIME_LIMIT = 120  # seconds per stream: a stream holds a worker while it runs
WEBCAM_STREAMS = 2  # simultaneous streams; two cores cannot serve more at a useful rate

# Where the live skeletons are computed: in the page (LiteRT.js, web/live/) or on the server.
IN_BROWSER = "In this browser"
ON_SERVER = "On the server"
WHERE_INFO = (
    "In this browser: the network runs in this page and no camera frame leaves your device "
    "(faster, and the server is free for others). On the server: each frame is sent to the "
    "app and comes back drawn, the fallback for browsers that cannot run the network."
)

WEBCAM_HELP = f"""
**In this browser** (the default where the browser can run the network): press **Start
camera** and allow the camera; the skeletons are computed in this page and no frame leaves
your device. **On the server** (the fallback): click **Click to Access Webcam**, allow the
camera, then press **Record**; each frame is processed in the app's memory and never stored,
and a stream runs for at most {WEBCAM_TIME_LIMIT} s at a time before it rejoins the queue, so
others waiting get a turn. Both show the frame rate and the time per frame; **Smoothing** (One
Euro filter) steadies jittery joints. Browsers give the camera only to HTTPS or localhost pages.
"""

LIVE_MATCH_HELP = (
    "Add a reference photo to see, on every frame, how alike your pose is to the one in it "
    "(person 1, the largest, each side: numbered on the photo below), with the joints that "
    "differ most ringed in white."
)


def set_webcam_reference(image: str | None) -> tuple[Pose | None, str, np.ndarray | None]:
    """Find the pose to match live webcam frames against: person 1 (the largest) in ``image``.

    Returns the pose (kept per browser session), a line for the user, and the photo with
    its people numbered (person 1 green) so one sees whom the frames are matched with. A
    photo with no usable person clears the reference and says why, rather than keeping an
    old one.
    """
    if not image:
        return None, "", None
    pixels = None
    try:
        pixels = load_image(image)
        people = rank_by_size(estimate(pixels).people)
        reference = pick_person(people, 1, "the reference photo")
    except ValueError as exc:  # InputError and MatchError included
        return None, f"No reference: {exc}", pixels
    line = f"Reference pose: person 1, {reference.num_visible} of 18 joints found."
    return reference, line, draw_numbered(pixels, people, 1)


def live_match(
    live: LiveFrame, reference: Pose | None, either_side: bool = True
) -> tuple[np.ndarray, str]:
    """The frame to display and the live similarity to ``reference`` as Markdown (see
    pose.video.live.match_live); without a reference, the frame unchanged and ""."""
    if reference is None:
        return live.display, ""
    found = match_live(live, reference, either_side)
    if found.result is None:
        return found.display, f"**{found.problem}**"
    result, joints = found.result, found.worst
    detail = f" · differs most at {', '.join(joint.label for joint in joints)}" if joints else ""
    side = " · mirrored" if result.mirrored else ""
    return found.display, f"# {result.similarity:.0f} %\n**{result.verdict}**{side}{detail}"


def stream_webcam(
    frame: str | np.ndarray | None,
    session: WebcamSession | None,
    smooth: bool = True,
    size: str = DEFAULT_LIVE_SIZE,
    threshold: float = DEFAULT_THRESHOLD,
    reference: Pose | None = None,
    either_side: bool = True,
    second_opinion: bool = False,
) -> tuple[np.ndarray | None, str, WebcamSession | None, str]:
    """One live webcam frame in; the frame with skeletons, a status line and the state out,
    and with a ``reference`` pose the live similarity to it (see live_match).

    ``frame`` is the browser's ``data:`` URL as sent (see live_frame_input), or an array;
    WebcamSession.process checks it like an uploaded image before any work.
    ``second_opinion``: BlazePose also reads each tracked person (pose.video.crop_follow).
    """
    if frame is None:
        return None, "Waiting for the camera…", session, ""
    threshold = checked_threshold(threshold)
    session = session or WebcamSession()
    try:
        live = session.process(
            frame, mirrored=WEBCAM_MIRROR, smooth=bool(smooth), size=size, threshold=threshold,
            second_opinion=bool(second_opinion),
        )  # fmt: skip
    except (ValueError, Pose3DError) as exc:  # InputError included; BlazePose missing
        raise user_error(exc) from None
    display, similarity = live_match(live, reference, bool(either_side))
    return display, live.status, session, similarity


# With --mcp, Gradio offers every public endpoint as an MCP tool. A stream cannot be called
# one request at a time (as with gradio_client), so keep it off the list: Gradio 6.31's
# list_tools skips functions marked as some other MCP type than "tool".
stream_webcam._mcp_type = "stream"  # type: ignore[attr-defined]


def estimate_frame(
    image: str | None, size: str = DEFAULT_PRESET, threshold: float = DEFAULT_THRESHOLD
) -> tuple[np.ndarray, dict]:
    """Find every person in one frame: the API twin of the webcam stream.

    gradio_client cannot call a streaming event, so programs send frames here one by one.

    Args:
        image: the frame (JPEG, PNG or WebP), not mirrored.
        size: model input size preset: "fast", "balanced" or "accurate".
        threshold: minimum joint confidence, 0 to 1.

    Returns:
        the annotated frame (people numbered largest first) and the keypoints as JSON
        ({"people": [{"score", "keypoints": [[x, y, score] x 18]}], "width", "height",
        "joints": the 18 joint names}).
    """
    if not image:
        raise gr.Error("Please send an image.", print_exception=False)
    threshold = checked_threshold(threshold)
    try:
        pixels = load_image(image)
        result = estimate(pixels, size=size, threshold=threshold)
    except ValueError as exc:  # InputError included
        raise user_error(exc) from None
    return draw_numbered_poses(pixels, result.people), result.to_dict()


def reference_for_page(reference: Pose | None) -> str:
    """The reference pose as the page's live matching reads it (web/live/live.js): its
    keypoints in a data attribute, ``[[x, y, score] x 18]`` in the photo's pixels."""
    if reference is None:
        return '<div data-pose=""></div>'
    points = json.dumps([[round(float(v), 2) for v in row] for row in reference.keypoints])
    return f"<div data-pose='{points}'></div>"


def show_mode(where: str) -> tuple[dict, dict]:
    """Show the in-browser panel or the server's stream, as ``where`` says."""
    browser = where == IN_BROWSER
    return gr.update(visible=browser), gr.update(visible=not browser)


def build_live_match_inputs() -> tuple[gr.Checkbox, gr.State]:
    """The Webcam tab's reference-photo controls; returns (either side, reference pose)."""
    with gr.Accordion("Match a reference pose", open=False):
        gr.Markdown(LIVE_MATCH_HELP)
        photo = image_path_input(
            label="Reference photo", sources=["upload", "clipboard"], elem_id="webcam-reference"
        )
        either_side = gr.Checkbox(
            True,
            label="Either side",
            info="Also accept the left/right-swapped pose.",
            elem_id="webcam-either-side",
        )
        info = gr.Markdown(elem_id="webcam-reference-info")
        skeleton = cached_image_output(
            label="Reference skeleton", elem_id="webcam-reference-skeleton", buttons=[]
        )
    pose_state = gr.State(None)  # the reference Pose, per browser session
    # The in-browser mode matches in the page: it reads the reference's keypoints here.
    for_page = gr.HTML(reference_for_page(None), elem_id="webcam-reference-pose", padding=False)
    photo.change(
        set_webcam_reference,
        [photo],
        [pose_state, info, skeleton],
        api_name="set_webcam_reference",
        # Browser plumbing (it fills per-session state); programs match with /match_images.
        api_visibility="undocumented",
        concurrency_limit=2,
    ).then(reference_for_page, [pose_state], [for_page], api_visibility="private")
    return either_side, pose_state


def build_webcam_tab() -> None:
    with gr.Tab("Webcam"):
        gr.Markdown(WEBCAM_HELP)
        where = gr.Radio(
            [IN_BROWSER, ON_SERVER],
            value=IN_BROWSER,
            label="Where the skeletons are computed",
            info=WHERE_INFO,
            elem_id="webcam-where",
        )
        gr.Markdown(elem_id="webcam-where-note")  # the page says why it fell back
        # The camera and the live view come first, so on a phone they are not below
        # every control.
        browser_panel, server_panel, camera, outputs = _live_panels()
        where.change(show_mode, [where], [browser_panel, server_panel], api_visibility="private")
        with gr.Row():
            with gr.Column():
                smooth, size, threshold, second = _live_options()
            with gr.Column():
                either_side, reference_pose = build_live_match_inputs()
        session = gr.State(None)  # one WebcamSession per browser session
        live, status, live_score = outputs
        camera.stream(
            stream_webcam,
            [camera, session, smooth, size, threshold, reference_pose, either_side, second],
            [live, status, session, live_score],
            api_name="stream_webcam",
            # A stream cannot be called as the API page would show it (gradio_client has no
            # streaming input); programs send frames to /estimate_frame instead.
            api_visibility="undocumented",
            stream_every=0.1,
            time_limit=WEBCAM_TIME_LIMIT,
            concurrency_limit=WEBCAM_STREAMS,
            show_progress="hidden",
        )
        _frame_endpoint(size, threshold)


def _live_panels():
    """The in-browser panel (web/live/live.js fills it) and the server path's camera and
    outputs; the in-browser one shows first. Where it cannot run (a browser without WASM
    SIMD, a server still preparing or unable to fetch the runtime: /live/spec.json says),
    live.js switches to the server and says why. Returns (browser panel, server panel,
    camera, (live image, status, live score))."""
    in_browser = True
    with gr.Column(visible=in_browser, elem_id="webcam-browser-panel") as browser_panel:
        gr.HTML('<div id="live-root"></div>', padding=False)
    with gr.Row(visible=not in_browser, elem_id="webcam-server-panel") as server_panel:
        with gr.Column():
            camera = live_frame_input(
                label="Webcam",
                webcam_options=gr.WebcamOptions(
                    mirror=WEBCAM_MIRROR,
                    constraints={"video": {"width": 640, "height": 480}},
                ),
                elem_id="webcam-input",
            )
        with gr.Column():
            live = live_image_output(label="Live skeleton", elem_id="webcam-output")
            status = gr.Textbox(  # up to 3 lines: a phone shows the whole status
                label="Status", interactive=False, max_lines=3, elem_id="webcam-status"
            )
            live_score = gr.Markdown(label="Live similarity", elem_id="webcam-match")
    return browser_panel, server_panel, camera, (live, status, live_score)


def _live_options():
    """The live view's options: smoothing, and the server path's input size, threshold and
    second opinion. Returns (smooth, size, threshold, second opinion)."""
    smooth = gr.Checkbox(
        value=True,
        label="Smooth keypoints",
        info="One Euro filter: steadier joints, little lag",
        elem_id="webcam-smooth",
    )
    size = size_input(
        DEFAULT_LIVE_SIZE,
        "On the server: 'balanced' keeps up on two cores; 'fast' on fewer.",
    )
    threshold = threshold_input()
    threshold.elem_id = "webcam-threshold"
    second = gr.Checkbox(
        value=False,
        label="Second opinion",
        info="On the server: BlazePose also reads each person (turned people too); about "
        "25-50 ms more per person per frame: fewer frames/s (docs/video-and-webcam.md)",
        elem_id="webcam-second-opinion",
    )
    return smooth, size, threshold, second


def _frame_endpoint(size: gr.components.Component, threshold: gr.components.Component) -> None:
    """The per-frame endpoint for programs (/estimate_frame); no visible controls of its own."""
    with gr.Group(visible=False):
        frame_in = image_path_input(label="Frame")
        frame_out = cached_image_output(label="Annotated frame")
        frame_json = gr.JSON(label="Keypoints")
        frame_run = gr.Button("Estimate frame")
    frame_run.click(
        estimate_frame,
        [frame_in, size, threshold],
        [frame_out, frame_json],
        api_name="estimate_frame",
        concurrency_limit=2,
    )
