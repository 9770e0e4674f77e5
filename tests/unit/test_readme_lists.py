"""The README's lists of endpoints and commands are the code's: a renamed, added or removed
endpoint or command fails here until the README says so."""

from __future__ import annotations

import re

from pose.cli import build_parser
from tests.helpers.paths import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    """The README's text from the heading ``## title`` to the next ``## `` heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def test_the_readme_lists_every_endpoint_the_app_serves_and_no_other():
    from app import demo

    # Our events a program can name (public ones and the page-only stream and webcam
    # reference), not the private ones nor Gradio's own example loaders.
    served = {
        f"/{fn.api_name}"
        for fn in demo.fns.values()
        if fn.api_visibility != "private" and fn.fn is not None
        and fn.fn.__module__.startswith("ui.")
    }  # fmt: skip
    listed = set(re.findall(r"^\| `(/\w+)` \|", section("API"), flags=re.MULTILINE))
    assert listed == served


def test_the_readme_lists_every_command_and_no_other():
    parser = build_parser()
    (commands,) = [action.choices for action in parser._subparsers._group_actions]
    block = section("Command line").split("```bash", 1)[1].split("```", 1)[0]
    listed = set(re.findall(r"^pose ([a-z-]+)", block, flags=re.MULTILINE))
    assert listed == set(commands)
    # "Every command but eval takes --size/--threshold/--backend", as the README says.
    shared = {"--size", "--threshold", "--backend"}
    common = {name for name, sub in commands.items() if shared <= set(sub._option_string_actions)}
    assert "Every command but `eval` takes" in README
    assert common == set(commands) - {"eval"}


def test_every_documentation_page_is_listed_once():
    more = section("More documentation")
    pages = re.findall(r"^- \[(docs/[\w-]+\.md)\]", more, flags=re.MULTILINE)
    assert len(pages) == len(set(pages))
    assert set(pages) == {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}
