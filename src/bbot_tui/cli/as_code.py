"""``bbot-tui run … --as curl|python|js``: print the request ``run`` would send, send nothing.

The request is built by the code ``run`` uses: the flags are validated into a body by
:func:`bbot_tui.cli.options.build_run_request`, ``--assistant`` is resolved and B-Bot's entity id
added as ``run`` does (read-only lookups: nothing is created, no run starts), and the body gets
what the session adds before posting (:func:`bbot_tui.session.run.session_body` for a stream,
:func:`bbot_tui.cli.runner.detach_body` for ``--detach``). :mod:`bbot_tui.session.as_code` writes
it as code; the key only ever appears as a reference to ``BBOT_API_KEY``.
"""

from __future__ import annotations

import argparse

from bbot_tui.api.models import RunCreate, RunCreateStateless
from bbot_tui.cli.common import EXIT_OK, Output, UsageError, make_client, resolve_connection
from bbot_tui.cli.options import build_run_request
from bbot_tui.cli.runner import check_breakpoints, detach_body, find_assistant
from bbot_tui.session.as_code import CODE_LANGUAGES, CodeLanguage, RunCall, RunEndpoint, to_code
from bbot_tui.session.run import session_body
from bbot_tui.session.titles import new_thread_metadata
from bbot_tui.stream.inputs import with_input_message_id
from bbot_tui.text import one_line

__all__ = ["as_code_command", "pick_language"]


def pick_language(value: str) -> CodeLanguage:
    """The ``--as`` value as a :data:`CodeLanguage`.

    Raises:
        UsageError: not one of :data:`CODE_LANGUAGES`.
    """
    wanted = value.strip().lower()
    for language in CODE_LANGUAGES:
        if language == wanted:
            return language
    allowed = ", ".join(CODE_LANGUAGES)
    raise UsageError(f"--as: {one_line(value, 40)!r} is not one of {allowed}")


async def as_code_command(args: argparse.Namespace, output: Output) -> int:
    """Print the run the flags describe as code; exit 0 without sending it."""
    language = pick_language(args.as_code)
    for flag, given in (("--record", args.record), ("--json", args.json)):
        if given:
            raise UsageError(f"--as prints the request and sends nothing: {flag} does not apply")
    req = build_run_request(args)
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        assistant = await find_assistant(
            client, args.assistant, auto=conn.assistants_path == "auto"
        )
        req = req.for_assistant(assistant.assistant_id, assistant.entity_id)
        await check_breakpoints(client, assistant, req)
    thread_id: str | None = None if req.stateless else args.thread
    new_thread = not req.stateless and thread_id is None
    endpoint: RunEndpoint = "create" if args.detach else "wait" if args.wait else "stream"
    body: RunCreate | RunCreateStateless
    if endpoint == "create":
        body = detach_body(req.body)
    elif endpoint == "wait":
        body = req.body
    else:
        body = session_body(req.body, thread_id=thread_id)
    if req.user_text and endpoint != "create":
        body, _ = with_input_message_id(body, req.user_text)
    call = RunCall(
        base_url=conn.base_url,
        endpoint=endpoint,
        body=body.to_body(),
        thread_id=thread_id,
        new_thread=new_thread,
        thread_metadata=(
            new_thread_metadata(assistant.assistant_id, assistant.graph_id, req.user_text)
            if new_thread
            else {}
        ),
        headers=dict(conn.extra_headers),
        has_key=conn.api_key is not None,
    )
    output.write(to_code(call, language))
    return EXIT_OK
