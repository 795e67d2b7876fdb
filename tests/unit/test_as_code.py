"""A run as code (no server): the snippets quote any body exactly and match the SDKs' signatures."""

from __future__ import annotations

import ast
import inspect
import json
import re
import shlex
from typing import Any

import pytest
from langgraph_sdk import get_client

from bbot_tui.api.models import RunCreate, RunCreateStateless
from bbot_tui.session.as_code import (
    CODE_LANGUAGES,
    PYTHON_KWARGS,
    RunCall,
    RunEndpoint,
    to_code,
    to_curl,
    to_js,
    to_python,
)

HOSTILE = 'it\'s $(rm -rf /) `id` "q" \\ \n\x1b[2J\x07 \u202e \u2028 é'
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_BODY_FIELDS = (set(RunCreate.model_fields) | set(RunCreateStateless.model_fields)) - {
    "assistant_id"
}


def _call(endpoint: RunEndpoint = "stream", **kw: Any) -> RunCall:
    body = {
        "assistant_id": "a-1",
        "input": {"messages": [{"role": "user", "content": HOSTILE, "id": "m-1"}]},
        "metadata": {HOSTILE: [1, 2.5, True, None]},
        "stream_mode": ["messages-tuple", "updates"],
    }
    return RunCall(
        base_url="http://127.0.0.1:2024", endpoint=endpoint, body=body, has_key=True, **kw
    )


@pytest.mark.parametrize("endpoint", ["stream", "wait", "create"])
def test_the_python_table_is_the_sdk_signature(endpoint: RunEndpoint) -> None:
    client = get_client(url="http://127.0.0.1:9", api_key=None)
    params = set(inspect.signature(getattr(client.runs, endpoint)).parameters)
    assert params & _BODY_FIELDS == PYTHON_KWARGS[endpoint]


def test_every_body_field_is_an_argument_of_the_sdk_stream() -> None:
    assert not _BODY_FIELDS - PYTHON_KWARGS["stream"]


@pytest.mark.parametrize("new_thread", [True, False])
def test_curl_sends_the_body_byte_for_byte(new_thread: bool) -> None:
    call = _call(thread_id=None if new_thread else "t 1'$x", new_thread=new_thread)
    code = to_curl(call)
    assert not _CONTROLS.search(code)
    words = shlex.split(code.replace("\\\n", " "), comments=True)
    data = [words[i + 1] for i, w in enumerate(words) if w == "--data-raw"]
    assert json.loads(data[-1]) == call.body
    assert data[0] == ("{}" if new_thread else data[-1])
    if not new_thread:
        assert "THREAD_ID='t 1'\"'\"'$x'" in code


@pytest.mark.parametrize("endpoint", ["stream", "wait", "create"])
def test_python_is_valid_and_holds_the_body(endpoint: RunEndpoint) -> None:
    call = _call(endpoint, new_thread=True)
    code = to_python(call)
    assert not _CONTROLS.search(code)
    tree = ast.parse(code)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if endpoint == "wait":  # stream_mode is no argument of runs.wait: the body as it is
        (assign,) = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign) and ast.unparse(n)[:7] == "body = "
        ]
        assert ast.literal_eval(assign.value) == call.body
        return
    run = next(c for c in calls if ast.unparse(c.func) == f"client.runs.{endpoint}")
    got = {k.arg: ast.literal_eval(k.value) for k in run.keywords}
    assert got == call.options()
    assert ast.literal_eval(run.args[1]) == "a-1"


@pytest.mark.parametrize("endpoint", ["stream", "wait", "create"])
def test_js_holds_the_body(endpoint: RunEndpoint) -> None:
    code = to_js(_call(endpoint, thread_id="t-1"))
    assert not _CONTROLS.search(code)
    start = code.index("{", code.index("const body = " if endpoint == "wait" else '"a-1", '))
    payload, _ = json.JSONDecoder().raw_decode(code[start:])
    if endpoint == "wait":
        assert payload == _call().body
    else:
        assert payload["input"] == _call().body["input"]
        assert payload["streamMode"] == ["messages-tuple", "updates"]
        assert payload["metadata"] == {HOSTILE: [1, 2.5, True, None]}


def test_every_language_has_the_key_only_as_a_reference() -> None:
    for language in CODE_LANGUAGES:
        code = to_code(_call(new_thread=True), language)
        assert "BBOT_API_KEY" in code
        plain = to_code(RunCall("http://h", "stream", {"assistant_id": "a"}), language)
        assert "BBOT_API_KEY" not in plain and "bbot-api-key" not in plain
