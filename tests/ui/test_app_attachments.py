"""``@path`` attachments against the real local server: an image and a text file arrive in the
thread's state as the right content blocks (and the ``echo`` graph saw them), a too-large and a
missing file are refused before anything is sent, with the typed text kept."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import httpx
from app_pilot import (
    Recorder,
    own_assistant,
    pick,
    send,
    settings_for,
    settle,
    view_text,
    wait_for,
)

from bbot_tui.session.attachments import MAX_FILE_BYTES
from bbot_tui.tui.app import make_app

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from media import png  # noqa: E402


def _human_contents(url: str, thread_id: str) -> list[object]:
    state = httpx.get(f"{url}/threads/{thread_id}/state", timeout=30).json()
    return [m["content"] for m in state["values"]["messages"] if m["type"] == "human"]


async def test_an_image_and_a_text_file_arrive_as_content_blocks(
    server_url: str, tmp_path: Path
) -> None:
    (tmp_path / "cat.png").write_bytes(png())
    (tmp_path / "notes.txt").write_text("buy milk\n")
    name = own_assistant(server_url, "echo")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "echo", name)
        composer = screen.composer
        composer.attach_root = tmp_path
        composer.focus()
        await pilot.press(*"what is @ca")  # the path completes in the popup
        await wait_for(pilot, lambda: screen.completion_list.option_count == 1, "cat.png")
        await pilot.press("tab")
        assert composer.text == "what is @cat.png "
        await pilot.press(*"next to @notes.txt")
        await pilot.press("escape", "enter")  # hide the choices, send
        await wait_for(pilot, lambda: screen.thread_id is not None, "the thread")
        await settle(pilot, screen)
        assert screen.thread_id is not None

        (content,) = _human_contents(server_url, screen.thread_id)
        assert isinstance(content, list)
        text, image = content
        assert text == {
            "type": "text",
            "text": "what is @cat.png next to @notes.txt\n\nnotes.txt:\n```txt\nbuy milk\n```",
        }
        assert image["type"] == "image" and image["mime_type"] == "image/png"
        assert base64.b64decode(image["base64"]) == png()
        assert image["extras"] == {"filename": "cat.png"}
        # the graph received the blocks as sent
        answer = screen.transcript.messages[-1].text
        assert answer.startswith("received ")
        seen = json.loads(answer.removeprefix("received "))
        assert seen["blocks"][1] == {
            "type": "image",
            "mime_type": "image/png",
            "filename": "cat.png",
            "bytes": len(png()),
        }
        # the transcript shows a label for the image, never its data
        shown = screen.transcript.messages[0].text
        assert "[image: cat.png · image/png · " in shown and image["base64"] not in shown
        # the view draws the image from the thread's state: here (no graphics) its placeholder,
        # once, under the text
        assert screen.transcript.messages[0].media == (image,)
        drawn = view_text(screen).splitlines()
        label = f"[image: cat.png · image/png · {len(png())} B]"
        assert drawn.count(label) == 1 and sum("[image" in line for line in drawn) == 1
        assert drawn.index(label) > drawn.index("what is @cat.png next to @notes.txt")


async def test_a_too_large_or_missing_file_is_refused_and_the_text_kept(
    server_url: str, tmp_path: Path
) -> None:
    (tmp_path / "big.log").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    name = own_assistant(server_url, "echo")
    notes = Recorder()
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        screen = await pick(pilot, "echo", name)
        composer = screen.composer
        composer.attach_root = tmp_path
        for typed, says in (
            ("summarise @big.log please", "@big.log is 5.0 MB: files of up to 5.0 MB"),
            ("read @gone.md", "@gone.md: no such file"),
        ):
            await send(pilot, typed)
            await wait_for(pilot, lambda says=says: says in composer.error, "the refusal")
            assert composer.text == typed  # kept
            assert composer.has_class("-error") and says in str(composer.border_title)
            assert notes.saw(says)
            assert screen.thread_id is None and not screen.transcript.messages  # nothing sent
        await pilot.press("end", *" ok")  # an edit clears the error
        assert composer.error == ""
