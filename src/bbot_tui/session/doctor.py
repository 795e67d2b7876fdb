"""Connection checks: what ``bbot-tui doctor`` prints and the TUI's connection screen shows.

:func:`run_checks` probes a server step by step and returns one :class:`Check` per step, each
with an explanation and a fix. It also discovers which base path answers (the given URL, or
the ``/v2`` ↔ ``/api/v2`` variant seen in B-Bot's docs) and which assistants path
(``/assistants`` or B-Bot's ``/distribution-channels``). It stops at the first failure that
makes the rest meaningless (a malformed URL, nothing listening). No Textual here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, AssistantsPath
from bbot_tui.api.discovery import discover
from bbot_tui.api.models import Assistant, RunCreateStateless
from bbot_tui.config.security import cleartext_risk, mask_key, normalize_api_key, normalize_base_url
from bbot_tui.text import one_line

__all__ = ["Check", "Checks", "run_checks"]

DOCTOR_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)
_KEY_FIX = (
    "create a key in B-Bot Hub → Settings → API Keys and pass it with --api-key or "
    "BBOT_API_KEY (it is sent as the header bbot-api-key)"
)


@dataclass(slots=True)
class Check:
    """One check's result.

    Attributes:
        name: what was checked (``server reachable``, ``API key``…).
        ok: True passed, False failed, None a warning or not applicable.
        detail: what was found.
        fix: what to do about it (empty when nothing).
    """

    name: str
    ok: bool | None
    detail: str
    fix: str = ""


class Checks(list[Check]):
    """The checks in order, plus what they discovered.

    Attributes:
        base_url: the base URL that answered (None if none did).
        assistants_path: ``assistants`` or ``distribution-channels`` (None if unknown).
    """

    def __init__(self) -> None:
        super().__init__()
        self.base_url: str | None = None
        self.assistants_path: AssistantsPath | None = None

    @property
    def ok(self) -> bool:
        """No check failed."""
        return all(c.ok is not False for c in self)

    def add(self, name: str, ok: bool | None, detail: str, fix: str = "") -> Check:
        """Append a check (texts made one-line and terminal-safe)."""
        check = Check(name, ok, one_line(detail, 500), one_line(fix, 500))
        self.append(check)
        return check


async def run_checks(
    url: str,
    api_key: SecretStr | str | None,
    extra_headers: Mapping[str, str] | None = None,
    *,
    allow_insecure: bool = False,
    trust_env: bool = True,
) -> Checks:
    """Probe a server and explain every problem.

    Args:
        url: the base URL as given.
        api_key: the key (None: none).
        extra_headers: the profile's extra headers.
        allow_insecure: the profile allows sending the key over plain http.
        trust_env: use the environment's proxy and CA certificates (the profile's
            ``use_environment_proxy``).

    Returns:
        The checks, with ``base_url`` and ``assistants_path`` discovered.
    """
    checks = Checks()
    try:
        base = normalize_base_url(url)
    except ValueError as exc:
        checks.add(
            "URL",
            False,
            str(exc),
            "use e.g. https://api.b-bot.space/api/v2 or http://127.0.0.1:2024",
        )
        return checks
    key: SecretStr | None = None
    raw = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    if raw is not None and raw.strip():
        try:
            key = SecretStr(normalize_api_key(raw))
        except ValueError as exc:
            checks.add("API key", False, str(exc), "paste the key again, without extra characters")
            return checks
    if key is not None and cleartext_risk(base, True) and not allow_insecure:
        checks.add(
            "URL",
            None,
            f"{base} is plain http to another machine: the key would travel unencrypted, "
            "so it is not sent",
            "use https (or allow insecure http in the profile if this network is trusted)",
        )
        key = None
    else:
        checks.add("URL", True, f"{base} is well-formed")

    # reachable?
    async with AgentClient(
        base, timeout=DOCTOR_TIMEOUT, extra_headers=extra_headers, trust_env=trust_env
    ) as client:
        proxy = client.http.proxy
        if proxy is not None:
            checks.add("proxy", True, f"requests go through {proxy} (from the environment)")
        started = time.monotonic()
        try:
            await client.ok()
        except errors.TransportError as exc:
            detail, fix = _unreachable(base, exc)
            checks.add(
                "server reachable", False, detail + (f" (via {proxy})" if proxy else ""), fix
            )
            return checks
        except (errors.HttpError, errors.ProtocolError):
            pass  # it answered: reachable (whether /ok exists is checked below)
        checks.add("server reachable", True, f"answered in {time.monotonic() - started:.2f} s")

    # base path and assistants path
    found = await discover(
        base,
        api_key=key,
        extra_headers=extra_headers,
        timeout=DOCTOR_TIMEOUT,
        allow_insecure=allow_insecure,
        trust_env=trust_env,
    )
    found_base, path, refused = found.base_url, found.assistants_path, found.error
    assistants, tried = found.assistants, found.tried
    if found_base is None or path is None:
        reason = f" ({refused.message})" if refused else ""
        checks.add(
            "base path",
            False,
            f"no assistants endpoint at {' or '.join(tried)}{reason}",
            "use the API root: https://api.b-bot.space/api/v2 for B-Bot, "
            "http://127.0.0.1:2024 for langgraph dev",
        )
        return checks
    checks.base_url, checks.assistants_path = found_base, path
    if found_base != base:
        checks.add(
            "base path",
            None,
            f"{base} does not answer, but {found_base} does",
            f"use --url {found_base} (or change the profile's URL)",
        )
    else:
        checks.add("base path", True, f"{found_base} answers")
    label = "B-Bot's distribution channels" if path == "distribution-channels" else "LangGraph"
    checks.add("assistants path", True, f"/{path}/search answers ({label})")

    # key
    if isinstance(refused, errors.AuthError):
        what = "the key was rejected" if key else "the server needs a key"
        checks.add("API key", False, f"{what} (HTTP 401)", _KEY_FIX)
        return checks
    if isinstance(refused, errors.PermissionDenied):
        checks.add(
            "API key",
            False,
            "the key is valid but may not list assistants (HTTP 403)",
            "check the key's permissions in B-Bot Hub, or use another key",
        )
        return checks
    if refused is not None:
        checks.add("assistants", False, refused.message, refused.hint or "try again later")
        return checks
    if key is not None:
        checks.add("API key", True, f"accepted ({mask_key(key.get_secret_value())})")
    else:
        checks.add("API key", True, "none needed: the server answered without one")

    async with AgentClient(
        found_base,
        api_key=key,
        extra_headers=extra_headers,
        assistants_path=path,
        timeout=DOCTOR_TIMEOUT,
        allow_insecure=allow_insecure,
        trust_env=trust_env,
    ) as client:
        await _optional_endpoints(client, checks)
        try:
            count = await client.assistants.count()
        except errors.ApiError:
            count = len(assistants)
        if count == 0 or not assistants:
            checks.add(
                "assistants",
                False,
                "the server has no assistants: nothing to chat with",
                "deploy a graph (langgraph.json) or create a distribution channel in B-Bot Hub",
            )
            return checks
        checks.add("assistants", True, f"{count} assistant{'s' if count != 1 else ''}")
        await _stream_check(client, assistants[0], checks)
    return checks


def _unreachable(base: str, exc: errors.TransportError) -> tuple[str, str]:
    """What a failed first request means, and what to do, by what failed (``exc.kind``)."""
    host = httpx.URL(base).host
    why = exc.message.split(": ", 1)[1] if exc.message.startswith("could not connect") else ""
    if exc.kind == "refused":
        return (
            f"nothing is listening at {base}",
            "start the server (e.g. `bbot-tui demo` or `langgraph dev`), or check the "
            "host, port and your network",
        )
    if exc.kind == "dns":
        return (
            f"the name {host} could not be resolved (DNS): no such host, or no DNS from here",
            "check the host name for typos; on a VPN or a company network, check it is connected",
        )
    if exc.kind == "timeout":
        if isinstance(exc, errors.RequestTimeout):
            detail = (
                f"{base} accepted the connection but sent no answer within "
                f"{DOCTOR_TIMEOUT.read:g} s"
            )
        else:
            detail = f"{base} did not accept a connection within {DOCTOR_TIMEOUT.connect:g} s"
        return (
            detail,
            "is it the right port (another service may hold it)? a firewall may drop the "
            "traffic, or the server is stuck; behind a proxy, check HTTPS_PROXY",
        )
    if exc.kind == "tls":
        reason = why[why.find("(") + 1 : why.rfind(")")] if "(" in why else "?"
        return f"the TLS handshake with {host} failed ({reason})", exc.hint
    if exc.kind == "reset":
        return (
            f"{base} accepted the connection, then closed it without answering",
            "is it the right port and scheme (not another service, not https on an http "
            "port)? a proxy or firewall may be cutting the connection",
        )
    if exc.kind == "unreachable":
        return f"no route to {host}: the network is unreachable", "check your network or VPN"
    return exc.message, exc.hint or "check the URL and your network"


async def _optional_endpoints(client: AgentClient, checks: Checks) -> None:
    try:
        await client.ok()
        checks.add("/ok", True, "health endpoint answers")
    except errors.ApiError:
        checks.add("/ok", None, "no health endpoint (B-Bot may not have one); not a problem")
    try:
        info = await client.info()
        version = info.get("version") if isinstance(info, dict) else None
        checks.add("/info", True, f"server version {version}" if version else "answers")
    except errors.ApiError:
        checks.add("/info", None, "no /info endpoint (B-Bot may not have one); not a problem")
    await _event_protocol(client, checks)


async def _event_protocol(client: AgentClient, checks: Checks) -> None:
    """Whether the thread-centric event protocol is offered, and over which transports."""
    try:
        offer = await client.events.offers()
    except errors.ApiError as exc:
        checks.add("event protocol", None, f"could not be probed ({exc.message})")
        return
    if offer.offered:
        over = " and ".join(offer.transports)
        checks.add(
            "event protocol",
            True,
            f"the thread-centric event protocol is offered over {over}; "
            "runs use it (over SSE) with --protocol events or auto",
        )
    else:
        checks.add(
            "event protocol",
            None,
            "the thread-centric event protocol is not offered; runs use the runs API "
            "(not a problem)",
        )


async def _stream_check(client: AgentClient, assistant: Assistant, checks: Checks) -> None:
    """A stateless streamed run: read until the ``metadata`` event, then close."""
    fields: dict[str, object] = {
        "assistant_id": assistant.assistant_id,
        "input": {"messages": [{"role": "user", "content": "ping"}]},
        "stream_mode": "updates",
        "on_completion": "delete",
        # the check closes the stream after the first event: don't let the run go on
        "on_disconnect": "cancel",
    }
    if assistant.entity_id:
        fields["config"] = {"configurable": {"entity_id": assistant.entity_id}}
    body = RunCreateStateless.model_validate(fields)
    started = time.monotonic()
    name = one_line(assistant.label, 60)
    try:
        async with client.runs.stream_stateless(body) as response:
            async for event in response.events():
                if event.mode == "metadata":
                    checks.add(
                        "streaming",
                        True,
                        f"a run of {name!r} streamed its first event in "
                        f"{time.monotonic() - started:.2f} s",
                    )
                    return
                if event.mode == "error":
                    break
    except errors.WrongContentType as exc:
        checks.add(
            "streaming",
            False,
            exc.message,
            "a proxy may be answering instead of the API, or buffering the stream",
        )
        return
    except errors.ApiError as exc:
        checks.add("streaming", False, exc.message, exc.hint or "check the server's logs")
        return
    checks.add(
        "streaming",
        False,
        f"the stream of {name!r} ended without a metadata event",
        "check the server's logs; a proxy may be cutting the stream",
    )
