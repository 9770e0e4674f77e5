"""Small pure helpers of the UI: download names, ordinals, the failure message, API docs."""

import gradio as gr

from ui.api_docs import document_parameters, one_line_args
from ui.components import download_stem, failure_note
from ui.video import ordinal


def test_downloads_are_named_after_the_upload_safely():
    assert download_stem("/tmp/gradio/abc/My photo (2).JPG") == "My-photo-2"
    assert download_stem("/tmp/x/../../etc/passwd") == "passwd"
    assert download_stem(None) == "keypoints"
    assert download_stem("/tmp/x/###.png", "photo") == "photo"
    assert len(download_stem("/tmp/" + "a" * 300 + ".jpg")) == 60


def test_ordinals_read_as_english():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 100)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "100th",
    ]  # fmt: skip


def test_a_failure_without_a_kept_message_still_says_what_happened():
    class Request:
        session_hash = "never-failed"

    assert failure_note(Request()).startswith("**No result:**")


def test_api_info_carries_the_docstring_descriptions():
    def handler(photo: str, strength: float = 1.0) -> str:
        """Do a thing.

        Args:
            photo: the picture to use.
            strength: how hard to try, 0 to 1: a description that goes on past the end of
                its line, as long ones do.
        """
        return photo

    with gr.Blocks() as demo:
        photo, strength, out = gr.Textbox(label="Photo"), gr.Number(label="S"), gr.Textbox()
        gr.Button().click(handler, [photo, strength], out, api_name="thing")
    document_parameters(demo)
    parameters = demo.get_api_info()["named_endpoints"]["/thing"]["parameters"]
    # Whole sentences: capitalised, and a wrapped description kept whole (Gradio's own
    # parser stopped at the line's end: "... past the end of").
    assert [p["python_type"]["description"] for p in parameters] == [
        "The picture to use.",
        "How hard to try, 0 to 1: a description that goes on past the end of its line, as "
        "long ones do.",
    ]
    assert (
        "strength: how hard to try, 0 to 1: a description that goes"
        in one_line_args(
            "Do.\n\nArgs:\n    strength: how hard to try, 0 to 1: a description that goes\n"
            "        on.\n\nReturns:\n    x\n"
        ).split("\n")[3]
    )


def test_every_description_of_the_photo_mode_says_what_it_does_and_costs():
    """The multi-pass mode's cost as docs/accuracy.md measured it (its photo path against
    one pass, wall time), and its second opinion, said alike on the tab, the API page and
    the command line: the API and CLI said "three passes fused ... about 4x the time" after
    BlazePose's second opinion had made it about 5x."""
    import re
    from pathlib import Path

    from pose.cli import build_parser
    from ui.components import photo_mode_input
    from ui.image import estimate_image
    from ui.match import match_images

    accuracy = (Path(__file__).resolve().parents[2] / "docs" / "accuracy.md").read_text()
    measured = re.search(r"\*\*accurate photo path\*\*.*\| ([\d.]+)x, [\d.]+x \|", accuracy)
    cost = f"about {round(float(measured.group(1)))}x the time"
    mode_help = next(
        action.help
        for command in build_parser()._subparsers._group_actions[0].choices.values()
        for action in command._actions
        if "--mode" in action.option_strings
    )
    texts = {
        "tab": photo_mode_input().info,
        "/estimate_image": estimate_image.__doc__,
        "/match_images": match_images.__doc__,
        "pose --mode": mode_help,
    }
    for where, text in texts.items():
        said = " ".join(text.split())
        assert cost in said, (where, said)
        assert "BlazePose's second opinion" in said, (where, said)
