"""The README's "Use it from Python" block runs as written, and does what its comments say."""

from __future__ import annotations

import re

import pytest

from tests.helpers.paths import ROOT


def readme_block() -> str:
    """The first ```python block under the README's "## Use it from Python" heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the README lost its Python example"
    return found.group(1)


def test_the_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(ROOT)  # the example names files from the repository root
    names: dict = {}
    exec(compile(readme_block(), "README.md", "exec"), names)  # our own README
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 4
    assert names["photo"].people and names["photo"].people[0].keypoints.shape == (18, 3)
    assert 0 <= names["result"].similarity <= 100 and names["result"].verdict
    assert names["clips"].comparison.similarity > 99  # the clip against itself
    assert names["stream"].source_frames > 0 and names["ids"]  # someone tracked
