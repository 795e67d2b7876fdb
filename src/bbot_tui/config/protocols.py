"""Which streaming protocol runs use: the one value set the settings and the api share.

It lives in the config package because a profile setting holds it and config may not import
the api package; :mod:`bbot_tui.api.literals` exports it with the API's other
values. Like that module, this one imports nothing but :mod:`typing` (the command line's parser
is built from it without loading pydantic or httpx).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["RunProtocol"]

RunProtocol: TypeAlias = Literal["auto", "runs", "events"]
"""Which streaming protocol runs use: the runs API, the thread-centric event protocol, or the
event protocol where the server offers it (``auto``); docs/PROTOCOL.md, "The thread-centric
event protocol"."""
