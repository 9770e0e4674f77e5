"""The app as an MCP server (POSE_MCP=1): tools listed and the image estimate called through
the mcp package's client over streamable HTTP."""

from __future__ import annotations

import asyncio
import base64
import re
import signal

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from tests.helpers.clips import make_clip
from tests.helpers.paths import COCO_DIR, ROOT
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
def mcp_app(tmp_path_factory):
    """Launch ``python app.py`` with POSE_MCP=1 on a free port and its own Gradio cache;
    yield (its MCP endpoint, the process, the cache folder)."""
    folder = tmp_path_factory.mktemp("mcp-app")
    cache = folder / "cache"
    with launched_app(folder / "app.log", POSE_MCP="1", GRADIO_TEMP_DIR=str(cache)) as (
        url,
        process,
    ):
        yield url + "gradio_api/mcp/", process, cache


@pytest.fixture(scope="module")
def mcp_url(mcp_app) -> str:
    return mcp_app[0]


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


def documented_tools() -> dict[str, set[str]]:
    """The tool table of docs/batch-and-mcp.md: {tool: the parameters it says it takes}."""
    text = (ROOT / "docs" / "batch-and-mcp.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| ([^|]*) \|", text, flags=re.M)
    return {name: set(re.findall(r"`(\w+)`", takes)) for name, takes in rows}


def test_the_docs_list_the_real_tools_and_their_parameters(mcp_url):
    """Issue 28, item 3: the docs listed 4 tools; there are 6."""
    tools = with_session(mcp_url, lambda session: session.list_tools()).tools
    real = {tool.name: set(tool.inputSchema["properties"]) for tool in tools}
    assert documented_tools() == real


def test_a_url_input_is_refused_with_what_to_send_instead(mcp_url):
    result = with_session(
        mcp_url,
        lambda session: session.call_tool(
            "estimate_image", {"image": "https://example.com/photo.jpg"}
        ),
    )
    assert result.isError
    assert "URLs are not fetched by this server: send the file itself as a data: URI" in (
        result.content[0].text
    )


def test_each_mcp_client_gets_its_own_share(mcp_url, tmp_path):
    """Issue 28, item 3: all MCP clients shared one session, so five assistants calling
    estimate_video at once got two refusals. Now five clients are all served, and one
    client sending five at once gets the web's share of three."""
    clip = make_clip(tmp_path / "clip.mp4", frames=8, size=(160, 120))
    video = "data:video/mp4;base64," + base64.b64encode(clip.read_bytes()).decode()

    async def client(calls: int) -> list[str]:
        async with (
            streamablehttp_client(mcp_url) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            arguments = {"video": video, "size": "fast"}
            results = await asyncio.gather(
                *[session.call_tool("estimate_video", arguments) for _ in range(calls)]
            )
            return [result.content[0].text if result.isError else "ok" for result in results]

    async def run():
        five = await asyncio.gather(*[client(1) for _ in range(5)])
        return [outcome for outcomes in five for outcome in outcomes], await client(5)

    five_clients, one_client = asyncio.run(run())
    assert five_clients == ["ok"] * 5
    assert one_client.count("ok") >= 3
    refused = [outcome for outcome in one_client if outcome != "ok"]
    assert refused and all("You already have 3 jobs waiting or running" in r for r in refused)


def test_files_mcp_calls_bring_in_are_deleted_when_the_server_stops(mcp_app):
    """Issue 28, item 3: files sent as data: URIs stayed in the temp folder after SIGINT,
    some world-readable. Runs last: it stops the module's app."""
    _, process, cache = mcp_app
    files = [path for path in cache.rglob("*") if path.is_file()]
    assert files  # the calls above brought photos and clips in
    examples = {path.name for path in (ROOT / "examples").iterdir()}  # public copies
    brought_in = [path for path in files if path.name not in examples]
    assert brought_in and all(path.stat().st_mode & 0o077 == 0 for path in brought_in)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    assert [path for path in cache.rglob("*") if path.is_file()] == []
