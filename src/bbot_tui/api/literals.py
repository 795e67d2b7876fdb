"""Every value the API allows for an enumerated field, each defined once as a ``Literal``.

The request models (:mod:`bbot_tui.api.models`), the sub-clients, the run-options model and
form, and the CLI's flags all use these types, and derive the tuples they show or check with
:func:`typing.get_args` (``get_args(Durability)``) instead of typing the values again.

This module imports nothing but :mod:`typing` (and :mod:`bbot_tui.config.protocols`, which
holds ``RunProtocol`` for the settings and imports only :mod:`typing` too): ``bbot_tui.cli.main``
builds its argument parser from it without loading pydantic or httpx before the first frame.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from bbot_tui.config.protocols import RunProtocol

__all__ = [
    "DEFAULT_STREAM_MODES",
    "AssistantsPath",
    "CancelAction",
    "Durability",
    "IfExists",
    "IfNotExists",
    "MultitaskStrategy",
    "OnCompletion",
    "OnDisconnect",
    "RunProtocol",
    "StreamMode",
    "ThreadStatus",
    "ThreadStreamMode",
]

StreamMode: TypeAlias = Literal[
    "values",
    "messages",
    "messages-tuple",
    "updates",
    "events",
    "debug",
    "custom",
    "tasks",
    "checkpoints",
]
"""What a run's stream carries (``stream_mode``)."""

Durability: TypeAlias = Literal["sync", "async", "exit"]
"""When a run's checkpoints are persisted (``durability``)."""

MultitaskStrategy: TypeAlias = Literal["reject", "interrupt", "rollback", "enqueue"]
"""What a new run does when its thread is busy (``multitask_strategy``)."""

IfNotExists: TypeAlias = Literal["reject", "create"]
"""What a run does when its thread does not exist (``if_not_exists``)."""

OnDisconnect: TypeAlias = Literal["cancel", "continue"]
"""What the server does with a run when its client goes away (``on_disconnect``)."""

OnCompletion: TypeAlias = Literal["delete", "keep"]
"""What happens to a stateless run's temporary thread afterwards (``on_completion``)."""

ThreadStreamMode: TypeAlias = Literal["lifecycle", "run_modes", "state_update"]
"""What a thread's stream carries: its runs' start and end markers only (``lifecycle``), every
event of its runs (``run_modes``, the default), or its state updates."""

ThreadStatus: TypeAlias = Literal["idle", "busy", "interrupted", "error"]
"""A thread's ``status``, and the status filter of a thread search."""

CancelAction: TypeAlias = Literal["interrupt", "rollback"]
"""How a run is cancelled: stop it (``interrupt``) or stop and delete it (``rollback``)."""

IfExists: TypeAlias = Literal["raise", "do_nothing"]
"""What creating a thread with an id that exists does (``if_exists``)."""

AssistantsPath: TypeAlias = Literal["assistants", "distribution-channels"]
"""The names of the assistants collection, in the order discovery tries them: LangGraph's,
then new B-Bot's."""

DEFAULT_STREAM_MODES: tuple[StreamMode, ...] = ("messages-tuple", "updates")
"""What the transcript needs, and what bbot-tui asks for unless told otherwise: streamed text
and tool calls, and node updates (which carry the interrupts)."""
