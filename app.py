"""Pose Estimation & Matching: the Gradio web app. It assembles the tabs (``ui``) and
launches; the work is in ``pose``.

``python app.py [--host H] [--port P] [--share]``; see ``ui.server`` for the settings.
"""

from __future__ import annotations

import gradio as gr

from examples.make_examples import ensure_examples
from ui.api_docs import document_parameters
from ui.compare import build_compare_tab
from ui.image import build_image_tab
from ui.match import build_match_tab
from ui.server import DELETE_CACHE, serve
from ui.video import build_video_tab
from ui.webcam import build_webcam_tab

INTRO = """
# Pose Estimation & Matching
Find people's body keypoints, see each skeleton, download the keypoints, and compare poses.
**Image:** upload a photo (or click an example) and press **Estimate**. **Video:** annotate a
clip frame by frame. **Webcam:** live skeletons from your camera. **Match:** how alike two
poses are, in percent. **Compare videos:** a movement against a reference, aligned in time,
and repetitions counted and scored. Lower the *confidence threshold* to show uncertain
joints; a larger *input size* finds smaller people. People are numbered largest first, on the
pictures and in the tables. Programs can call all of it: see *Use via API* at the foot of the
page.
"""


def build_demo() -> gr.Blocks:
    """The whole app: the intro and one tab per job (Image, Video, Webcam, Match, Compare
    videos)."""
    ensure_examples()  # a fresh clone without the committed files: make them if we can
    with gr.Blocks(
        title="Pose Estimation & Matching", delete_cache=DELETE_CACHE, analytics_enabled=False
    ) as demo:
        gr.Markdown(INTRO)
        # On a phone the tabs wrap onto a second row instead of hiding behind a menu.
        with gr.Tabs(overflow_behavior="wrap"):
            build_image_tab()
            build_video_tab()
            build_webcam_tab()
            build_match_tab()
            build_compare_tab()
    return document_parameters(demo)


demo = build_demo()

if __name__ == "__main__":
    serve(demo)
