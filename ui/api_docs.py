"""The "Use via API" page in the handlers' own words.

Gradio 6.31 reads an endpoint's description from its handler's docstring, but describes
each parameter only by its component ("The input value that is provided in the Photo
Image component"); the docstring's ``Args:`` lines (parsed by Gradio's own
``get_function_description``, one line per parameter) go to its MCP schema alone. This
adds them to ``/gradio_api/info``, which the API page and ``gradio_client`` read.
"""

from __future__ import annotations

import gradio as gr
from gradio.utils import get_function_description


def document_parameters(demo: gr.Blocks) -> gr.Blocks:
    """Make ``demo``'s API info carry each public parameter's docstring description (as
    ``python_type.description``); returns ``demo``."""
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
                if text:
                    parameter["python_type"]["description"] = text
        return info

    demo.get_api_info = get_api_info
    return demo
