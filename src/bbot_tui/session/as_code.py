"""A run as code: the exact request ``bbot-tui run`` would send, as curl, Python or JavaScript.

The headless core behind ``bbot-tui run … --as curl|python|js`` (and, later, a palette action):
a :class:`RunCall` is the request (method, path, JSON body, headers) built by the same code that
sends runs (the CLI's flags → :class:`~bbot_tui.api.models.RunCreate`, then
:func:`bbot_tui.session.run.session_body`); :func:`to_code` writes it as

* ``curl``: a shell snippet (POSIX sh) that first creates the thread when the run needs a new
  one, then posts the body;
* ``python``: a script for ``langgraph_sdk`` (``pip install langgraph-sdk``);
* ``js``: an ES module for ``@langchain/langgraph-sdk`` (``npm install @langchain/langgraph-sdk``).

The key is never written: each snippet reads it from the ``BBOT_API_KEY`` environment variable
into the ``bbot-api-key`` header (``$BBOT_API_KEY``, ``os.environ["BBOT_API_KEY"]``,
``process.env.BBOT_API_KEY``), and the SDKs are told not to read any other key variable.

The SDKs' run methods take the body's fields as named arguments; when a body holds a field the
method has no argument for (``/wait`` takes no ``stream_mode`` in either SDK), the snippet sends
the body as it is through the SDK's HTTP client (Python) or ``fetch`` (JavaScript), and says so.

Every string in a snippet is escaped for its language: no control character of the body reaches
the terminal or the shell unescaped. Nothing here sends a request.
"""

from __future__ import annotations

import json
import pprint
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "CODE_LANGUAGES",
    "JS_OPTIONS",
    "KEY_ENV",
    "KEY_HEADER",
    "PYTHON_KWARGS",
    "CodeLanguage",
    "RunCall",
    "RunEndpoint",
    "to_code",
    "to_curl",
    "to_js",
    "to_python",
]

CodeLanguage = Literal["curl", "python", "js"]
"""The languages a run can be written in."""
CODE_LANGUAGES: tuple[CodeLanguage, ...] = get_args(CodeLanguage)
"""Every language, in the order the command line lists them."""
RunEndpoint = Literal["stream", "wait", "create"]
"""``POST …/runs/stream`` (``run``), ``…/runs/wait`` (``--wait``), ``…/runs`` (``--detach``)."""
KEY_ENV = "BBOT_API_KEY"
"""The environment variable a snippet reads the key from."""
KEY_HEADER = "bbot-api-key"
"""The header the key goes in (B-Bot's; the client sends no other)."""

_COMMON = (
    "input",
    "command",
    "metadata",
    "config",
    "context",
    "checkpoint",
    "checkpoint_id",
    "checkpoint_during",
    "interrupt_before",
    "interrupt_after",
    "webhook",
    "multitask_strategy",
    "if_not_exists",
    "on_completion",
    "after_seconds",
    "durability",
)
PYTHON_KWARGS: dict[RunEndpoint, frozenset[str]] = {
    "stream": frozenset(
        (
            *_COMMON,
            "stream_mode",
            "stream_subgraphs",
            "stream_resumable",
            "feedback_keys",
            "on_disconnect",
        )
    ),
    "wait": frozenset((*_COMMON, "on_disconnect")),
    "create": frozenset((*_COMMON, "stream_mode", "stream_subgraphs", "stream_resumable")),
}
"""Body fields ``langgraph_sdk``'s ``runs.stream``/``wait``/``create`` take as arguments."""
JS_OPTIONS: dict[RunEndpoint, frozenset[str]] = {
    "stream": frozenset(
        (
            *_COMMON,
            "stream_mode",
            "stream_subgraphs",
            "stream_resumable",
            "feedback_keys",
            "on_disconnect",
        )
    ),
    "wait": frozenset((*_COMMON, "on_disconnect")),
    "create": frozenset(
        (*_COMMON, "stream_mode", "stream_subgraphs", "stream_resumable", "feedback_keys")
    ),
}
"""Body fields ``@langchain/langgraph-sdk``'s ``runs.stream``/``wait``/``create`` take (as
camelCase options)."""

_SUFFIX: dict[RunEndpoint, str] = {"stream": "/stream", "wait": "/wait", "create": ""}
# characters json.dumps(ensure_ascii=False) leaves raw that a terminal must not get
_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")
_HEADLINE = "the request `bbot-tui run` would send; nothing was sent"


@dataclass(frozen=True)
class RunCall:
    """One run request, as ``bbot-tui run`` would send it.

    Attributes:
        base_url: the API root.
        endpoint: ``stream``, ``wait`` or ``create``.
        body: the JSON body, exactly.
        thread_id: the thread; None for a new thread (``new_thread``) or a stateless run.
        new_thread: create a thread first (``POST /threads``), then run on it.
        thread_metadata: the new thread's metadata (its title and assistant, as ``run`` sets).
        headers: the profile's extra headers (never the key).
        has_key: whether the key is sent (as ``bbot-api-key``, read from ``BBOT_API_KEY``).
    """

    base_url: str
    endpoint: RunEndpoint
    body: dict[str, Any]
    thread_id: str | None = None
    new_thread: bool = False
    thread_metadata: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    has_key: bool = False

    @property
    def stateless(self) -> bool:
        """No thread: ``POST /runs/…``."""
        return self.thread_id is None and not self.new_thread

    @property
    def assistant_id(self) -> str:
        """The body's assistant."""
        return str(self.body.get("assistant_id", ""))

    def options(self) -> dict[str, Any]:
        """The body without ``assistant_id`` (the SDKs take it as an argument)."""
        return {k: v for k, v in self.body.items() if k != "assistant_id"}

    def path(self, thread: str) -> str:
        """The run's path, with ``thread`` standing for the thread id."""
        runs = "/runs" if self.stateless else f"/threads/{thread}/runs"
        return runs + _SUFFIX[self.endpoint]

    def request_line(self) -> str:
        """``POST /threads/…/runs/stream``: what a reader sees first."""
        thread = self.thread_id or "<new thread>"
        return f"POST {self.base_url}{self.path(thread)}"


def _json(value: Any, indent: int | None = None) -> str:
    """JSON with non-ASCII text kept readable and every unsafe character escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


# --------------------------------------------------------------------------- curl


def _curl_headers(call: RunCall, accept: str, *, body: bool) -> list[str]:
    lines = []
    if body:
        lines.append("-H " + shlex.quote("Content-Type: application/json"))
    lines.append("-H " + shlex.quote(f"Accept: {accept}"))
    lines += ["-H " + shlex.quote(f"{name}: {value}") for name, value in call.headers.items()]
    if call.has_key:
        lines.append(f'-H "{KEY_HEADER}: ${KEY_ENV}"')
    return lines


def _curl(url: str, flags: list[str], headers: list[str], data: str) -> str:
    parts = [f"curl {' '.join(flags)} -X POST {url}", *headers, f"--data-raw {shlex.quote(data)}"]
    return " \\\n  ".join(parts)


def to_curl(call: RunCall) -> str:
    """The run as a POSIX shell snippet of curl commands (curl 7.76 or newer)."""
    lines = [f"# {_HEADLINE}:", f"# {call.request_line()}"]
    if call.has_key:
        lines.append(f"# the key is read from ${KEY_ENV}")
    lines.append(f"BASE_URL={shlex.quote(call.base_url)}")
    accept = "text/event-stream" if call.endpoint == "stream" else "application/json"
    flags = ["-sS", "--fail-with-body"] + (["-N"] if call.endpoint == "stream" else [])
    run = _curl(
        f'"$BASE_URL{call.path("$THREAD_ID")}"',
        flags,
        _curl_headers(call, accept, body=True),
        _json(call.body),
    )
    if call.new_thread:
        create = _curl(
            '"$BASE_URL/threads"',
            ["-sS", "--fail-with-body"],
            _curl_headers(call, "application/json", body=True),
            _json({"metadata": call.thread_metadata} if call.thread_metadata else {}),
        )
        lines.append(f'THREAD_ID=$({create} \\\n  | grep -o \'"thread_id": *"[^"]*"\' \\')
        lines.append("  | head -n 1 | cut -d '\"' -f 4)")
        lines.append('echo "thread: $THREAD_ID" >&2')
        lines.append(f'[ -n "$THREAD_ID" ] && {run}')
    else:
        if call.thread_id is not None:
            lines.append(f"THREAD_ID={shlex.quote(call.thread_id)}")
        lines.append(run)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Python


def _py(value: Any) -> str:
    """A Python literal (``repr`` escapes every non-printable character)."""
    return pprint.pformat(value, indent=1, width=80, sort_dicts=False)


def _py_kwargs(values: dict[str, Any], spaces: int) -> str:
    lines = []
    for name, value in values.items():
        text = _py(value)
        first, *rest = text.splitlines()
        lines.append(f"{name}={first}" + "".join(f"\n{' ' * len(name)} {r}" for r in rest))
    return _indent(",\n".join(lines) + ",", spaces)


def to_python(call: RunCall) -> str:
    """The run as a Python script for ``langgraph_sdk``."""
    header_items = [f"{k!r}: {v!r}" for k, v in call.headers.items()]
    if call.has_key:
        header_items.append(f'{KEY_HEADER!r}: os.environ["{KEY_ENV}"]')
    client_args = [f"url={call.base_url!r},", "api_key=None,  # never LANGSMITH_API_KEY & co."]
    if header_items:
        client_args.append("headers={" + ", ".join(header_items) + "},")
    lines = [f"# {_HEADLINE}:", f"# {call.request_line()}"]
    if call.has_key:
        lines.append(f"# the key is read from the {KEY_ENV} environment variable")
    lines += ["import asyncio", "import json", "import os"]
    if call.new_thread:
        lines.append("import sys")
    lines += [
        "",
        "from langgraph_sdk import get_client",
        "",
        "",
        "async def main() -> None:",
        "    client = get_client(",
        _indent("\n".join(client_args), 8),
        "    )",
    ]
    if call.new_thread:
        lines += [
            "    thread = await client.threads.create("
            + (f"metadata={_py(call.thread_metadata)}" if call.thread_metadata else "")
            + ")",
            '    thread_id = thread["thread_id"]',
            '    print("thread:", thread_id, file=sys.stderr)',
        ]
    elif call.thread_id is not None:
        lines.append(f"    thread_id = {call.thread_id!r}")
    options = call.options()
    thread = "None" if call.stateless else "thread_id"
    if set(options) <= PYTHON_KWARGS[call.endpoint]:
        head = f"        {thread},\n        {call.assistant_id!r},"
        if options:
            head += "\n" + _py_kwargs(options, 8)
        if call.endpoint == "stream":
            lines += [
                "    async for part in client.runs.stream(",
                head,
                "    ):",
                "        print(part.event, json.dumps(part.data, ensure_ascii=False))",
            ]
        else:
            lines += [f"    result = await client.runs.{call.endpoint}(", head, "    )"]
            lines.append("    print(json.dumps(result, ensure_ascii=False))")
    else:
        missing = ", ".join(sorted(set(options) - PYTHON_KWARGS[call.endpoint]))
        path = call.path("{thread_id}")
        path_expr = f'f"{path}"' if "{thread_id}" in path else repr(path)
        lines += [
            f"    # runs.{call.endpoint}() takes no {missing}: the body is sent as it is",
            "    body = " + _indent(_py(call.body), 11).lstrip(),
        ]
        if call.endpoint == "stream":
            lines += [
                f'    async for part in client.http.stream({path_expr}, "POST", json=body):',
                "        print(part.event, json.dumps(part.data, ensure_ascii=False))",
            ]
        else:
            lines += [
                f"    result = await client.http.post({path_expr}, json=body)",
                "    print(json.dumps(result, ensure_ascii=False))",
            ]
    lines += ["", "", "asyncio.run(main())"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- JavaScript


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_js(call: RunCall) -> str:
    """The run as an ES module for ``@langchain/langgraph-sdk`` (top-level await)."""
    header_items = [f"{_json(k)}: {_json(v)}" for k, v in call.headers.items()]
    if call.has_key:
        header_items.append(f"{_json(KEY_HEADER)}: process.env.{KEY_ENV}")
    headers = "{ " + ", ".join(header_items) + " }" if header_items else "{}"
    lines = [f"// {_HEADLINE}:", f"// {call.request_line()}"]
    if call.has_key:
        lines.append(f"// the key is read from the {KEY_ENV} environment variable")
    lines += [
        'import { Client } from "@langchain/langgraph-sdk";',
        "",
        f"const apiUrl = {_json(call.base_url)};",
        f"const headers = {headers};",
        "const client = new Client({",
        "  apiUrl,",
        "  apiKey: null, // never LANGGRAPH_API_KEY & co.",
        "  defaultHeaders: headers,",
        "});",
    ]
    if call.new_thread:
        lines += [
            "const thread = await client.threads.create("
            + (f"{{ metadata: {_json(call.thread_metadata)} }}" if call.thread_metadata else "")
            + ");",
            "const threadId = thread.thread_id;",
            'console.error("thread:", threadId);',
        ]
    elif call.thread_id is not None:
        lines.append(f"const threadId = {_json(call.thread_id)};")
    thread = "null" if call.stateless else "threadId"
    options = call.options()
    if set(options) <= JS_OPTIONS[call.endpoint]:
        payload = _json({_camel(k): v for k, v in options.items()}, indent=2)
        call_args = f"{thread}, {_json(call.assistant_id)}, {payload}"
        if call.endpoint == "stream":
            lines += [
                f"for await (const part of client.runs.stream({call_args})) {{",
                "  console.log(part.event, JSON.stringify(part.data));",
                "}",
            ]
        else:
            method = "wait" if call.endpoint == "wait" else "create"
            lines += [
                f"const result = await client.runs.{method}({call_args});",
                "console.log(JSON.stringify(result));",
            ]
    else:
        missing = ", ".join(sorted(set(options) - JS_OPTIONS[call.endpoint]))
        path = call.path("${threadId}")
        accept = "text/event-stream" if call.endpoint == "stream" else "application/json"
        lines += [
            f"// runs.{call.endpoint}() takes no {missing}: the body is sent as it is",
            f"const body = {_json(call.body, indent=2)};",
            f"const response = await fetch(`${{apiUrl}}{path}`, {{",
            '  method: "POST",',
            f'  headers: {{ ...headers, "Content-Type": "application/json", Accept: "{accept}" }},',
            "  body: JSON.stringify(body),",
            "});",
            "if (!response.ok) {",
            "  throw new Error(`HTTP ${response.status}: ${await response.text()}`);",
            "}",
            "for await (const chunk of response.body) process.stdout.write(chunk);",
            'process.stdout.write("\\n");',
        ]
    return "\n".join(lines) + "\n"


def to_code(call: RunCall, language: CodeLanguage) -> str:
    """The run in ``language`` (``curl``, ``python`` or ``js``)."""
    if language == "python":
        return to_python(call)
    if language == "js":
        return to_js(call)
    return to_curl(call)
