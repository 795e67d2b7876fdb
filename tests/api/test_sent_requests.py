"""What the client sent, as the event log shows it: method, path, headers and body, with the key
header and every registered secret masked, told before the request leaves."""

from __future__ import annotations

import json

import httpx

from bbot_tui.api.client import AgentClient
from bbot_tui.api.sent import MASK, SentRequest, sent_request
from bbot_tui.config.security import register_secret

KEY = "bbot_sent_request_test_key_0123456789abcdef"


def test_sent_request_masks_keys_headers_and_secrets() -> None:
    register_secret("s3cret-value-for-the-test")
    sent = sent_request(
        "POST",
        "threads/t1/runs/stream",
        params={"a": "1"},
        headers={"x-api-key": "abc", "authorization": "Bearer zz", "x-trace": "ok"},
        content=json.dumps({"input": "my s3cret-value-for-the-test"}).encode(),
        key_header="bbot-api-key",
    )
    assert sent.path == "/threads/t1/runs/stream?a=1"
    assert sent.headers == {
        "x-api-key": MASK,
        "authorization": MASK,
        "x-trace": "ok",
        "bbot-api-key": MASK,
    }
    assert sent.body == {"input": "my ***"}
    assert sent.label == "POST /threads/t1/runs/stream?a=1"
    assert "s3cret" not in json.dumps(sent.to_json())


async def test_the_transport_tells_before_sending() -> None:
    order: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        order.append(f"server {request.method} {request.url.path}")
        assert request.headers["bbot-api-key"] == KEY  # the key itself still goes out
        if request.url.path.endswith("/stream"):
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=b"event: end\n\n"
            )
        return httpx.Response(200, json={"thread_id": "t1"})

    seen: list[SentRequest] = []

    def listener(sent: SentRequest) -> None:
        seen.append(sent)
        order.append(f"told {sent.label}")

    async with AgentClient(
        "http://127.0.0.1:9", api_key=KEY, transport=httpx.MockTransport(handler)
    ) as client:
        client.http.request_listeners.append(listener)
        await client.threads.create(metadata={"title": "x"})
        async with client.http.open_stream("POST", "/threads/t1/runs/stream", json_body={"a": 1}):
            pass
    assert order == [
        "told POST /threads",
        "server POST /threads",
        "told POST /threads/t1/runs/stream",
        "server POST /threads/t1/runs/stream",
    ]
    assert seen[0].body == {"metadata": {"title": "x"}}
    assert seen[1].headers["bbot-api-key"] == MASK
    assert seen[1].headers["accept"] == "text/event-stream"
    assert KEY not in json.dumps([s.to_json() for s in seen])
