"""The "Use via API" page in the handlers' own words.

Gradio 6.31 reads an endpoint's description from its handler's docstring, but describes
each parameter only by its component ("The input value that is provided in the Photo
Image component"); the docstring's ``Args:`` lines (parsed by Gradio's own
``get_function_description``) go to its MCP schema alone. This adds them to
``/gradio_api/info``, which the API page and ``gradio_client`` read.

Gradio's parser takes one line per parameter, so a description wrapped onto a second line
was cut mid-sentence ("better on small, large and"); :func:`one_line_args` joins each
parameter's lines first, for the API page and the MCP schema alike.
"""

from __future__ import annotations

import inspect
import re

import gradio as gr
from gradio.utils import get_function_description

_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Raises|Yields):\s*$")


def one_line_args(docstring: str) -> str:
    """``docstring`` with each ``Args:`` entry on one line: a line indented deeper than
    the entries is joined to the entry above it. The rest is unchanged."""
    lines = inspect.cleandoc(docstring).split("\n")
    out: list[str] = []
    in_args = False
    entry_indent = None
    for line in lines:
        header = _SECTION.match(line)
        if header:
            in_args = header.group(1) in ("Args", "Arguments", "Parameters")
            entry_indent = None
            out.append(line)
            continue
        if in_args and line.strip():
            indent = len(line) - len(line.lstrip())
            if entry_indent is None:
                entry_indent = indent
            if indent > entry_indent and out:
                out[-1] = f"{out[-1]} {line.strip()}"
                continue
        elif in_args and not line.strip():
            in_args = False  # a blank line ends the section
        out.append(line)
    return "\n".join(out)


def document_parameters(demo: gr.Blocks) -> gr.Blocks:
    """Make ``demo``'s API info carry each public parameter's whole docstring description
    (as ``python_type.description``); returns ``demo``."""
    for block_fn in demo.fns.values():
        function = block_fn.fn
        if block_fn.api_name and function is not None and function.__doc__:
            # The same function object may back several events; joining twice is harmless.
            function.__doc__ = one_line_args(function.__doc__)
    original = demo.get_api_info

    def get_api_info(*args, **kwargs):
        info = original(*args, **kwargs)
        endpoints = info.get("named_endpoints", {}) if isinstance(info, dict) else {}
        for block_fn in demo.fns.values():
            endpoint = endpoints.get(f"/{block_fn.api_name}")
            if endpoint is None or block_fn.fn is None:
                continue
            _, described, _ = get_function_description(block_fn.fn)
            for parameter in endpoint["parameters"]:
                text = described.get(parameter.get("parameter_name") or "")
                if text:  # a sentence: "the photo ..." -> "The photo ..."
                    parameter["python_type"]["description"] = text[0].upper() + text[1:]
        return info

    demo.get_api_info = get_api_info
    return demo
