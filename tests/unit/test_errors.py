"""Every class of the ``bbot_tui.api.errors`` family, and that no raw httpx exception escapes.

HTTP statuses are built with ``http_error_from_response`` from JSON, HTML, plain and empty
bodies. Transport and protocol failures come from a small hostile asyncio server on loopback
(what a real Agent Server never sends: resets, hangs, HTML where JSON belongs, a stream with the
wrong content type) and from a closed port; every call goes through the real ``AgentClient``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.errors import http_error_from_response

JSON = {"content-type": "application/json"}
HTML = {"content-type": "text/html; charset=utf-8"}

# --- HTTP status errors ----------------------------------------------------------------

STATUS_CLASSES = [
    (400, errors.BadRequest, False),
    (401, errors.AuthError, False),
    (403, errors.PermissionDenied, False),
    (404, errors.NotFound, False),
    (409, errors.Conflict, False),
    (422, errors.Unprocessable, False),
    (429, errors.RateLimited, True),
    (500, errors.ServerError, True),
    (502, errors.ServerError, True),
    (503, errors.ServerError, True),
    (504, errors.ServerError, True),
]


@pytest.mark.parametrize(("status", "cls", "retryable"), STATUS_CLASSES)
def test_status_with_json_detail(status: int, cls: type, retryable: bool) -> None:
    err = http_error_from_response(
        status, b'{"detail":"Thread busy"}', JSON, method="POST", path="/threads"
    )
    assert type(err) is cls
    assert isinstance(err, errors.HttpError) and isinstance(err, errors.ApiError)
    assert err.status == status
    assert err.detail == "Thread busy"
    assert err.body == {"detail": "Thread busy"}
    assert err.retryable is retryable
    assert f"HTTP {status} on POST /threads: Thread busy" in str(err)


@pytest.mark.parametrize(("status", "cls", "retryable"), STATUS_CLASSES)
def test_status_with_html_body(status: int, cls: type, retryable: bool) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1><script>x</script></body></html>"
    err = http_error_from_response(status, page, HTML)
    assert type(err) is cls
    assert "HTML page" in err.detail
    assert "<" not in err.detail  # the page itself is never shown
    assert err.body is None


@pytest.mark.parametrize(("status", "cls", "retryable"), STATUS_CLASSES)
def test_status_with_empty_body(status: int, cls: type, retryable: bool) -> None:
    err = http_error_from_response(status, b"", {})
    assert type(err) is cls
    assert err.detail == ""
    assert str(err).startswith(f"HTTP {status}")


def test_unlisted_statuses() -> None:
    teapot = http_error_from_response(418, b"", {})
    assert type(teapot) is errors.HttpError and not teapot.retryable
    timeout = http_error_from_response(408, b"", {})
    assert type(timeout) is errors.HttpError and timeout.retryable
    assert type(http_error_from_response(599, b"", {})) is errors.ServerError


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"message":"from message"}', "from message"),
        (b'{"error":"from error"}', "from error"),
        (b'{"detail":"d","message":"m"}', "d"),
        (
            b'{"detail":[{"loc":["body","x"],"msg":"bad"}]}',
            '[{"loc": ["body", "x"], "msg": "bad"}]',
        ),
        (b'["a","b"]', '["a", "b"]'),
        (b"plain text   with\n spaces", "plain text with spaces"),
        (b"caf\xe9", "caf\ufffd"),
    ],
)
def test_detail_extraction(body: bytes, detail: str) -> None:
    assert http_error_from_response(400, body, {}).detail == detail


def test_long_details_are_cut() -> None:
    err = http_error_from_response(500, b"x" * 10_000, {"content-type": "text/plain"})
    assert len(err.detail) <= 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), ("0.5", 0.5), ("120", 60.0), ("-3", 0.0), ("soon", None), (None, None)],
)
def test_rate_limited_retry_after(value: str | None, expected: float | None) -> None:
    headers = {"retry-after": value} if value is not None else {}
    err = http_error_from_response(429, b'{"detail":"slow down"}', headers)
    assert isinstance(err, errors.RateLimited)
    assert err.retry_after == expected
    assert err.retryable


def test_graph_error() -> None:
    err = errors.GraphError("ValueError", "kaboom from node")
    assert isinstance(err, errors.ApiError)
    assert (err.error, err.detail, str(err)) == ("ValueError", "kaboom from node", err.message)
    assert str(err) == "ValueError: kaboom from node"
    assert str(errors.GraphError("Oops", "")) == "Oops"


def test_family_tree() -> None:
    for cls in (errors.ConnectFailed, errors.RequestTimeout, errors.ConnectionDropped):
        assert issubclass(cls, errors.TransportError) and cls.retryable
    for cls in (errors.WrongContentType, errors.StreamTooLarge):
        assert issubclass(cls, errors.ProtocolError) and not cls.retryable
    for cls in (errors.ConfigError, errors.GraphError, errors.TransportError, errors.HttpError):
        assert issubclass(cls, errors.ApiError)
    assert str(errors.ApiError("m", hint="h")) == "m (h)"


# --- a hostile loopback server -----------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _respond(writer: asyncio.StreamWriter, path: str) -> None:
    if "reset-before" in path:
        _reset(writer)
        return
    if "hang" in path:
        await asyncio.sleep(30)
        return
    if "reset-mid-event" in path:
        writer.write(_head("200 OK", {"content-type": "text/event-stream", "connection": "close"}))
        writer.write(b'event: metadata\r\ndata: {"run_id":"r","attempt":1}\r\n\r\n')
        writer.write(b'event: messages\r\ndata: [{"content":"hal')
        await writer.drain()
        await asyncio.sleep(0.05)
        _reset(writer)
        return
    if "fin-mid-body" in path:
        writer.write(_head("200 OK", {"content-type": "application/json", "content-length": "100"}))
        writer.write(b'{"thread_id":')
        await writer.drain()
        writer.close()
        return
    if "html200" in path:
        body = b"<html><body>Welcome to nginx!</body></html>"
        writer.write(_head("200 OK", {**HTML, "content-length": str(len(body))}) + body)
    elif "json-on-stream" in path:
        body = b'{"detail":"streaming is off here"}'
        writer.write(_head("200 OK", {**JSON, "content-length": str(len(body))}) + body)
    elif "html502" in path:
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        writer.write(_head("502 Bad Gateway", {**HTML, "content-length": str(len(body))}) + body)
    elif "empty401" in path:
        writer.write(_head("401 Unauthorized", {"content-length": "0"}))
    elif "rate429" in path:
        body = b'{"detail":"too many"}'
        headers = {**JSON, "retry-after": "7", "content-length": str(len(body))}
        writer.write(_head("429 Too Many Requests", headers) + body)
    elif "/status/" in path:  # /status/<code>: that status with a JSON detail
        code = int(path.rsplit("/", 1)[1])
        body = json.dumps({"detail": f"detail of {code}"}).encode()
        writer.write(_head(f"{code} X", {**JSON, "content-length": str(len(body))}) + body)
    elif "plain200" in path:
        body = b"Internal Server Error"
        headers = {"content-type": "text/plain", "content-length": str(len(body))}
        writer.write(_head("200 OK", headers) + body)
    elif "padded-error" in path:  # /wait and /join: keep-alive newlines, then __error__
        body = b'\n\n\n{"__error__":{"error":"ValueError","message":"kaboom"}}'
        writer.write(
            _head(
                "200 OK", {**JSON, "connection": "close", "content-location": "/threads/t1/runs/r1"}
            )
        )
        writer.write(body)
    elif "padded-values" in path:
        body = b'\n\n{"messages":[],"__interrupt__":[{"value":"ok?","id":"i1"}]}'
        writer.write(
            _head(
                "200 OK", {**JSON, "connection": "close", "content-location": "/threads/t1/runs/r1"}
            )
        )
        writer.write(body)
    elif "bad-sse" in path:  # not JSON, not UTF-8, unnamed, then a good event
        writer.write(_head("200 OK", {"content-type": "text/event-stream", "connection": "close"}))
        writer.write(b"event: values\r\ndata: {not json\r\n\r\n")
        writer.write(b'event: custom\r\ndata: "caf\xe9"\r\n\r\n')
        writer.write(b": heartbeat\r\n\r\n")
        writer.write(b'event: updates\r\ndata: {"n":{"ok":1}}\r\n\r\n')
    elif "huge-event" in path:
        writer.write(_head("200 OK", {"content-type": "text/event-stream", "connection": "close"}))
        writer.write(b"event: values\r\ndata: " + b"x" * 200_000 + b"\r\n\r\n")
    else:
        body = b'{"ok":true}'
        writer.write(_head("200 OK", {**JSON, "content-length": str(len(body))}) + body)
    await writer.drain()
    writer.close()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        path = head.split(b" ", 2)[1].decode()
        await _respond(writer, path)
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
        writer.transport.abort()


@pytest.fixture
async def hostile_url() -> AsyncIterator[str]:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def _raises(call: Callable[[], Awaitable[Any]], cls: type[errors.ApiError]) -> Any:
    """Run ``call``; it must raise ``cls`` and never an httpx exception."""
    try:
        await call()
    except httpx.HTTPError as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"raw httpx exception escaped: {exc!r}")
    except errors.ApiError as exc:
        assert isinstance(exc, cls), repr(exc)
        assert exc.__cause__ is None or not isinstance(exc.__cause__, httpx.HTTPError)
        return exc
    pytest.fail(f"{cls.__name__} was not raised")


async def _read_stream(client: AgentClient, path: str) -> list[Any]:
    events: list[Any] = []
    async with client.http.open_stream("GET", path) as response:
        async for batch in response.batches():
            events += batch
    return events


# --- transport errors ----------------------------------------------------------------------


async def test_connect_refused(closed_port_url: str) -> None:
    async with AgentClient(closed_port_url) as client:
        err = await _raises(client.ok, errors.ConnectFailed)
        assert err.retryable and closed_port_url in err.message
        await _raises(lambda: _read_stream(client, "/threads/t/stream"), errors.ConnectFailed)


async def test_dns_failure_is_connect_failed() -> None:
    timeout = httpx.Timeout(2.0)
    async with AgentClient("http://no-such-host.invalid", timeout=timeout) as client:
        await _raises(client.info, errors.ConnectFailed)


async def test_timeout(hostile_url: str) -> None:
    async with AgentClient(hostile_url, timeout=httpx.Timeout(0.3)) as client:
        err = await _raises(lambda: client.threads.get("hang"), errors.RequestTimeout)
        assert err.retryable
        await _raises(lambda: _read_stream(client, "/hang/stream"), errors.RequestTimeout)


async def test_reset_before_answer(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        await _raises(lambda: client.threads.get("reset-before"), errors.ConnectionDropped)
        await _raises(lambda: _read_stream(client, "/reset-before"), errors.ConnectionDropped)


async def test_reset_mid_event(hostile_url: str) -> None:
    delivered: list[Any] = []
    async with AgentClient(hostile_url) as client:

        async def read() -> None:
            async with client.http.open_stream("GET", "/reset-mid-event") as response:
                async for batch in response.batches():
                    delivered.extend(batch)

        await _raises(read, errors.ConnectionDropped)
    # the complete event before the reset was delivered; the torn one was not
    assert [e.event for e in delivered] == ["metadata"]


async def test_incomplete_body(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        await _raises(lambda: client.threads.get("fin-mid-body"), errors.ConnectionDropped)


# --- protocol errors -------------------------------------------------------------------


async def test_html_where_json_was_expected(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        err = await _raises(lambda: client.threads.get("html200"), errors.ProtocolError)
        assert not isinstance(err, errors.HttpError)
        assert "not JSON" in err.message and "<html>" not in str(err)


async def test_wrong_content_type_on_a_stream(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        err = await _raises(
            lambda: _read_stream(client, "/json-on-stream"), errors.WrongContentType
        )
        assert "application/json" in err.message and "streaming is off here" in err.message
        await _raises(lambda: _read_stream(client, "/html200"), errors.WrongContentType)


async def test_event_over_the_cap(hostile_url: str) -> None:
    async with AgentClient(hostile_url, max_event=100_000) as client:
        await _raises(lambda: _read_stream(client, "/huge-event"), errors.StreamTooLarge)


async def test_unexpected_shape_is_a_protocol_error(hostile_url: str) -> None:
    # {"ok": true} is not a Thread: no thread_id
    async with AgentClient(hostile_url) as client:
        err = await _raises(lambda: client.threads.get("anything"), errors.ProtocolError)
        assert "thread_id" in err.message


# --- HTTP errors through the client ----------------------------------------------------


async def test_html_502_through_the_client(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        err = await _raises(lambda: client.threads.get("html502"), errors.ServerError)
        assert err.status == 502 and err.retryable
        err = await _raises(lambda: _read_stream(client, "/html502"), errors.ServerError)
        assert "HTML page" in err.detail


async def test_401_without_body_through_the_client(hostile_url: str) -> None:
    async with AgentClient(hostile_url, api_key="bbot_secret_key_123") as client:
        err = await _raises(lambda: client.threads.get("empty401"), errors.AuthError)
        assert err.status == 401 and not err.retryable
        assert "bbot_secret_key_123" not in str(err) + err.hint + repr(err)
        await _raises(lambda: _read_stream(client, "/empty401"), errors.AuthError)


async def test_429_through_the_client(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        err = await _raises(lambda: client.threads.get("rate429"), errors.RateLimited)
        assert err.retry_after == 7.0 and err.detail == "too many"


STATUS_OVER_THE_WIRE = [
    (400, errors.BadRequest),
    (401, errors.AuthError),
    (403, errors.PermissionDenied),
    (404, errors.NotFound),
    (409, errors.Conflict),
    (422, errors.Unprocessable),
    (429, errors.RateLimited),
    (500, errors.ServerError),
    (503, errors.ServerError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_OVER_THE_WIRE)
async def test_each_status_through_the_client(
    hostile_url: str, status: int, cls: type[errors.HttpError]
) -> None:
    """Each status is its own class with the server's detail, on JSON calls and on streams."""
    async with AgentClient(hostile_url) as client:
        for call in (
            lambda: client.threads.get(f"status/{status}"),
            lambda: _read_stream(client, f"/status/{status}"),
        ):
            err = await _raises(call, cls)
            assert (err.status, err.detail) == (status, f"detail of {status}")
            assert type(err) is cls  # distinguishable: not a sibling's subclass


async def test_plain_text_where_json_was_expected(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        err = await _raises(lambda: client.threads.get("plain200"), errors.ProtocolError)
        assert "not JSON" in err.message and "text/plain" in err.message


async def test_bad_sse_events_are_marked_and_the_stream_goes_on(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        events = await _read_stream(client, "/bad-sse")
    assert [e.event for e in events] == ["values", "custom", "updates"]
    bad, latin, good = events
    assert bad.data is None and bad.error and bad.raw == "{not json"
    assert latin.data == "caf\ufffd" and latin.error is None  # invalid UTF-8 replaced
    assert good.data == {"n": {"ok": 1}} and good.error is None


async def test_wait_and_join_padding_and_error(hostile_url: str) -> None:
    """``/wait`` and ``/join`` answer 200 and pad with newlines; ``__error__`` is a failure."""
    async with AgentClient(hostile_url) as client:
        result = await client.runs.join("t", "padded-error")
        assert isinstance(result.error, errors.GraphError) and result.values is None
        assert (result.error.error, result.error.detail) == ("ValueError", "kaboom")
        result = await client.runs.join("t", "padded-values")
        assert result.error is None and result.values == {"messages": []}
        assert result.interrupts == [{"value": "ok?", "id": "i1"}]


# --- configuration errors --------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.com", "http://[::1", ""])
def test_bad_url_is_config_error(url: str) -> None:
    with pytest.raises(errors.ConfigError):
        AgentClient(url)


def test_bad_key_is_config_error() -> None:
    with pytest.raises(errors.ConfigError) as info:
        AgentClient("http://127.0.0.1:1", api_key="bbot_ab\ncd")
    assert "bbot_ab" not in str(info.value)


def test_key_over_cleartext_to_a_remote_host_needs_consent() -> None:
    with pytest.raises(errors.ConfigError):
        AgentClient("http://api.example.com", api_key="bbot_abcdef")
    AgentClient("http://api.example.com", api_key="bbot_abcdef", allow_insecure=True)
    AgentClient("http://127.0.0.1:9", api_key="bbot_abcdef")


@pytest.mark.parametrize("name", ["bbot-api-key", "X-API-Key", "Authorization"])
def test_reserved_extra_headers_are_refused(name: str) -> None:
    with pytest.raises(errors.ConfigError):
        AgentClient("http://127.0.0.1:9", extra_headers={name: "x"})


async def test_cursor_with_a_line_break_is_refused(hostile_url: str) -> None:
    async with AgentClient(hostile_url) as client:
        with pytest.raises(errors.ConfigError):
            async with client.runs.join_stream("t", "r", last_event_id="1-0\r\nx: y"):
                pass


def test_messages_are_json_safe() -> None:
    err = http_error_from_response(400, json.dumps({"detail": "é"}).encode(), JSON)
    assert json.loads(json.dumps({"m": str(err)}))["m"].endswith("é")
