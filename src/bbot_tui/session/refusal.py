"""A run the server refuses leaves nothing behind.

A run on a new thread takes two requests: create the thread, then the run. When the server
refuses the run (B-Bot's 422 for a missing entity id, a bad field, a 404 assistant…), the thread
made for it would stay behind, empty, in every thread list. Validate first (the assistant is
resolved before the thread is made, see :mod:`bbot_tui.session.assistants`); if the server still
refuses, :func:`discard_thread` deletes the thread made for that run.
"""

from __future__ import annotations

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient

__all__ = ["discard_thread", "is_refusal"]


def is_refusal(exc: BaseException) -> bool:
    """Whether the server refused a run outright (it was not created).

    A 4xx answer is a refusal; a 5xx, a 408, a 429 or a network failure is not (the run may
    exist, or a retry may succeed).
    """
    if isinstance(exc, errors.ServerError | errors.RateLimited):
        return False
    return isinstance(exc, errors.HttpError) and 400 <= exc.status < 500 and exc.status != 408


async def discard_thread(client: AgentClient, thread_id: str) -> str:
    """Delete the thread made for a refused run and say what happened.

    Args:
        client: the client.
        thread_id: the thread this command created for the run (never a user's thread).

    Returns:
        One sentence for the user: the thread was deleted, or why it could not be.
    """
    try:
        await client.threads.delete(thread_id)
    except errors.NotFound:
        return f"the thread {thread_id} made for this run is already gone"
    except errors.ApiError as exc:
        return f"the thread {thread_id} made for this run could not be deleted: {exc.message}"
    return f"the server refused the run; deleted the thread {thread_id} made for it"
