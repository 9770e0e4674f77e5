"""The app as an MCP server (POSE_MCP=1): tools listed and the image estimate called through
the mcp package's client over streamable HTTP."""

from __future__ import annotations

import asyncio
import base64

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from tests.helpers.paths import COCO_DIR
from tests.helpers.server import launched_app

TOOLS = {
    "estimate_image",
    "estimate_frame",
    "estimate_video",
    "match_images",
    "compare_movements",
    "count_repetitions",
}


@pytest.fixture(scope="module")
def mcp_url(tmp_path_factory) -> str:
    """Launch ``python app.py`` with POSE_MCP=1 on a free port; yield its MCP endpoint."""
    log_path = tmp_path_factory.mktemp("mcp-app") / "app.log"
    with launched_app(log_path, POSE_MCP="1") as (url, _):
        yield url + "gradio_api/mcp/"


def with_session(url: str, work):
    """Run ``await work(session)`` in an initialised MCP client session; return its result."""

    async def run():
        async with (
            streamablehttp_client(url) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await work(session)

    return asyncio.run(run())


def data_uri(path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def test_the_tools_are_the_apps_operations_with_their_docstrings(mcp_url):
    tools = with_session(mcp_url, lambda session: session.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == TOOLS  # the live webcam stream is not a tool
    estimate = by_name["estimate_image"]
    assert estimate.description.startswith("Find every person in an image")
    assert "Returns:" in estimate.description
    properties = estimate.inputSchema["properties"]
    assert {"image", "size", "threshold", "largest_only"} <= set(properties)
    assert properties["image"]["type"] == "string"
    assert properties["size"]["enum"] == ["fast", "balanced", "accurate"]
    assert "minimum joint confidence" in properties["threshold"]["description"]
    # Match's default pair is the tab's, said in the tool's own words, whole.
    match = by_name["match_images"].inputSchema["properties"]
    assert "whoever stands at the same place" in match["person2"]["description"]
    assert match["mode"]["description"].endswith("(one pass).")


def test_estimate_image_through_mcp_returns_the_skeleton_image_and_keypoints(mcp_url):
    photo = data_uri(COCO_DIR / "000000000785.jpg")  # one skier
    updates = []

    async def progress(done, total, message):
        updates.append(done)

    result = with_session(
        mcp_url,
        lambda session: session.call_tool(
            "estimate_image", {"image": photo, "size": "fast"}, progress_callback=progress
        ),
    )
    assert not result.isError, result.content
    images = [item for item in result.content if item.type == "image"]
    texts = [item.text for item in result.content if item.type == "text"]
    assert images and images[0].mimeType == "image/png"
    assert len(base64.b64decode(images[0].data)) > 10_000
    assert any("Found 1 person" in text for text in texts)
    assert any("'nose'" in text for text in texts)  # the keypoint table
    assert any(text.endswith(".json") for text in texts)
    assert updates  # the progress path was taken


def test_without_a_progress_token_the_outputs_come_as_one_text(mcp_url):
    photo = data_uri(COCO_DIR / "000000000785.jpg")
    result = with_session(
        mcp_url,
        lambda session: session.call_tool("estimate_image", {"image": photo, "size": "fast"}),
    )
    assert not result.isError
    (item,) = result.content
    assert "Found 1 person" in item.text and "'nose'" in item.text


def test_a_file_that_is_not_an_image_is_a_tool_error_with_the_reason(mcp_url):
    text = "data:text/plain;base64," + base64.b64encode(b"hello").decode()
    result = with_session(
        mcp_url, lambda session: session.call_tool("estimate_image", {"image": text})
    )
    assert result.isError
    assert "is not an image we can read" in result.content[0].text
