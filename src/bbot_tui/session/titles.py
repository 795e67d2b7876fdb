"""What threads are called: the title a new thread gets, and the label a listed thread shows.

A new conversation's thread is titled with its first message (one line, at most
:data:`TITLE_LIMIT` characters) and carries its assistant in its metadata, whether the TUI or
``bbot-tui run`` made it (:func:`new_thread_metadata`), so a thread looks the same in the list
whoever made it. A listed thread shows its title, else its first words, else ``thread`` and the
random tail of its id (:func:`thread_label`: the head of a UUIDv7 is a timestamp, the same for
every thread made within a minute). Two threads are never labelled the same in one list:
:func:`distinct_labels` adds the id's tail to labels that repeat.

Nothing here imports Textual or pydantic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bbot_tui.text import one_line

if TYPE_CHECKING:
    from bbot_tui.api.models import Thread

__all__ = [
    "NEW_THREAD",
    "TITLE_LIMIT",
    "distinct_labels",
    "new_thread_metadata",
    "short_id",
    "thread_label",
    "thread_title",
]

TITLE_LIMIT = 80
"""The longest title a new thread gets from its first message."""

NEW_THREAD = "new thread"
"""The title of a thread whose first run has no text (a run with input null, a command)."""

LABEL_LIMIT = 60
"""The longest label a list shows."""


def thread_title(text: str | None) -> str:
    """The title of a thread made for a first message.

    Args:
        text: The first message (None or blank: a run without text).

    Returns:
        The message on one line, cut at :data:`TITLE_LIMIT`, else :data:`NEW_THREAD`.
    """
    return one_line(text or "", TITLE_LIMIT) or NEW_THREAD


def new_thread_metadata(
    assistant_id: str, graph_id: str | None, text: str | None
) -> dict[str, Any]:
    """The metadata of a thread made for a first message (the TUI's and the CLI's).

    Args:
        assistant_id: The assistant that runs on it (the thread list is filtered on it).
        graph_id: The assistant's graph.
        text: The first message.

    Returns:
        ``assistant_id``, ``graph_id`` (when known) and ``title``.
    """
    metadata: dict[str, Any] = {"assistant_id": assistant_id, "title": thread_title(text)}
    if graph_id:
        metadata["graph_id"] = graph_id
    return metadata


def short_id(thread_id: str) -> str:
    """The last 8 hex digits of a thread id: its random part (a UUIDv7 starts with the time)."""
    digits = "".join(c for c in thread_id if c.isalnum())
    return one_line(digits[-8:] or thread_id, 12)


def thread_label(thread: Thread) -> str:
    """The label of a thread: ``metadata.title``, else its first words, else its short id."""
    title = one_line(thread.title or "", LABEL_LIMIT)
    if title:
        return title
    values = thread.values if isinstance(thread.values, Mapping) else {}
    messages = values.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], Mapping):
        content = messages[0].get("content")
        if isinstance(content, str) and content.strip():
            return one_line(content, LABEL_LIMIT)
    return f"thread {short_id(thread.thread_id)}"


def distinct_labels(threads: Iterable[Thread]) -> dict[str, str]:
    """The label of each thread, by id, with the id's tail added where labels repeat.

    Args:
        threads: The threads shown together (a list, a palette).

    Returns:
        Thread id → label; no two threads get the same label.
    """
    listed = list(threads)
    labels = {t.thread_id: thread_label(t) for t in listed}
    repeated = Counter(labels.values())
    for thread in listed:
        label = labels[thread.thread_id]
        if repeated[label] > 1 and not label.endswith(short_id(thread.thread_id)):
            labels[thread.thread_id] = f"{label} · {short_id(thread.thread_id)}"
    return labels
