"""The human message of a run's input, and the id it is sent with.

``updates`` and ``messages`` streams never echo the input, so a transcript that shows the
user's text at once would hold it without an id until the run ends and the session reconciles
with the thread state. The server keeps an id it is given: an input message sent with an id
chosen here (:func:`~bbot_tui.stream.transcript.user_message`) is shown with the id it will
have in the thread from the first moment.
"""

from __future__ import annotations

from typing import Any

from bbot_tui.api.models import RunCreate, RunCreateStateless
from bbot_tui.stream.transcript import content_media, content_text, user_message

__all__ = ["input_media", "input_message_id", "with_input_message_id"]


def _find_input_message(run_input: Any, text: str) -> tuple[list[Any], int] | None:
    """The input's messages and the index of the last human one whose content is ``text``."""
    messages = run_input.get("messages") if isinstance(run_input, dict) else None
    if not isinstance(messages, list):
        return None
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if (
            isinstance(message, dict)
            and message.get("role", message.get("type")) in ("user", "human")
            and message.get("content") == text
        ):
            return messages, index
    return None


def input_message_id(run_input: Any, text: str) -> str | None:
    """The id the run input gives the human message ``text``, if it gives one."""
    found = _find_input_message(run_input, text)
    message_id = found[0][found[1]].get("id") if found else None
    return message_id if isinstance(message_id, str) and message_id else None


def with_input_message_id(
    body: RunCreate | RunCreateStateless, text: str
) -> tuple[RunCreate | RunCreateStateless, str | None]:
    """The body with an id on the input message that carries ``text``, and that id.

    An id already there is kept; an input that does not hold ``text`` as a human message
    (``--input`` JSON of another shape) is left alone and no id is known.
    """
    run_input: Any = body.input
    existing = input_message_id(run_input, text)
    found = _find_input_message(run_input, text)
    if existing is not None or found is None:
        return body, existing
    messages, index = found
    message_id = user_message(text)["id"]
    fresh = [*messages]
    fresh[index] = {**messages[index], "id": message_id}
    return body.model_copy(update={"input": {**run_input, "messages": fresh}}), message_id


def input_media(run_input: Any, text: str) -> tuple[dict[str, Any], ...]:
    """The file blocks (images, PDFs) of the last human input message shown as ``text``.

    ``text`` is the message's content as the transcript shows it (:func:`content_text`: the
    text, then a label per file); the blocks let a view draw the images at once.
    """
    messages = run_input.get("messages") if isinstance(run_input, dict) else None
    if not isinstance(messages, list):
        return ()
    for message in reversed(messages):
        if (
            isinstance(message, dict)
            and message.get("role", message.get("type")) in ("user", "human")
            and isinstance(message.get("content"), list)
            and content_text(message["content"]) == text
        ):
            return content_media(message["content"])
    return ()
