"""The connection screen: a server profile's name, URL, API key, headers; test and save.

Shown at the first start (no profile) and with F3 / the command palette. The key field is a
password input that starts empty: an existing key is only ever shown masked
(:func:`bbot_tui.config.security.mask_key`) and is kept when the field is left empty.
"Test connection" runs the doctor checks (:func:`bbot_tui.session.doctor.run_checks`) in a
worker. Save validates the
:class:`~bbot_tui.config.settings.Profile` model and shows each error under its field; a
valid profile
dismisses the screen with it (the app stores and activates it, and saves off the event loop).

One-launch profiles (``(demo)``, ``(command line)``, ``(environment)``) are listed too, to
switch back to them: chosen, their fields are read-only and Save makes them active unchanged
(they are never saved).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static, TextArea

from bbot_tui.text import one_line
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.toggles import MarkedCheckbox

if TYPE_CHECKING:
    from bbot_tui.config.settings import Profile, Settings
__all__ = ["FIELDS", "ConnectionScreen", "field_error", "parse_headers"]

FIELDS = ("name", "base_url", "api_key", "extra_headers", "assistants_path")
"""Form fields that can show an error."""
_NEW = "\x00new"
_EDITABLE = ("#name", "#base_url", "#api_key", "#extra_headers", "#assistants_path")
_EDITABLE += ("#allow-insecure", "#clear-key", "#use-env-proxy")
_PATHS = [
    ("auto (probe)", "auto"),
    ("/assistants (LangGraph)", "assistants"),
    ("/distribution-channels (B-Bot)", "distribution-channels"),
]


def parse_headers(text: str) -> dict[str, str]:
    """Parse ``Name: value`` lines (blank lines and ``#`` comments are skipped).

    Args:
        text: The headers field.

    Returns:
        The headers.

    Raises:
        ValueError: A line without a colon.
    """
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"line {number}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def field_error(error: Any) -> str:
    """A pydantic error of the profile form in words for people (never pydantic's own text).

    Args:
        error: One item of ``ValidationError.errors()``.

    Returns:
        The message shown under the field.
    """
    kind = error.get("type", "")
    field = str(error["loc"][0]) if error.get("loc") else ""
    context = error.get("ctx") or {}
    if kind == "string_too_short":
        return "Give the profile a name." if field == "name" else "This field is required."
    if kind == "string_too_long":
        return f"Use at most {context.get('max_length', '?')} characters."
    if kind == "value_error":
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    if kind in ("missing", "none_required"):
        return "This field is required."
    return "This value is not valid here."


def _one_launch(name: str) -> bool:
    """Whether a profile name is a one-launch profile's (``(demo)``, ``(command line)``…)."""
    return name.startswith("(")


class ConnectionScreen(ModalScreen["Profile | None"]):
    """Edit or add a server profile."""

    CSS_PATH = stylesheet("connection.tcss")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+t", "test", "Test connection"),
    ]

    def __init__(self, settings: Settings, *, first_start: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.first_start = first_start
        self._editing: Profile | None = settings.active() if not first_start else None
        if self._editing is not None and _one_launch(self._editing.name):
            self._editing = None  # the form opens on a new profile; one-launch ones are chosen

    def compose(self) -> ComposeResult:
        """The form."""
        with Vertical(id="connection-dialog"):
            title = "Welcome to bbot-tui: connect to a server" if self.first_start else "Connection"
            yield Label(title, id="connection-title")
            with VerticalScroll(id="connection-form"):
                names = list(self.settings.profiles)
                saved = [(one_line(n, 40), n) for n in names if not _one_launch(n)]
                launch = [
                    (f"{one_line(n, 40)}: this launch only", n) for n in names if _one_launch(n)
                ]
                yield Label("Profile", classes="field-label")
                yield Select(
                    [*saved, *launch, ("+ new profile", _NEW)],
                    value=self._editing.name if self._editing else _NEW,
                    allow_blank=False,
                    id="profile-select",
                )
                yield from self._field("name", "Name", Input(placeholder="b-bot", id="name"))
                yield from self._field(
                    "base_url",
                    "Server URL",
                    Input(placeholder="https://api.b-bot.space/api/v2", id="base_url"),
                )
                yield from self._field(
                    "api_key",
                    "API key",
                    Input(password=True, placeholder="bbot_… (optional)", id="api_key"),
                )
                yield MarkedCheckbox("Remove the saved key", id="clear-key")
                yield Static(id="key-store", classes="field-note")
                yield from self._field(
                    "extra_headers",
                    "Extra headers (one 'Name: value' a line)",
                    TextArea(id="extra_headers", soft_wrap=False, show_line_numbers=False),
                )
                yield from self._field(
                    "assistants_path",
                    "Assistants endpoint",
                    Select(_PATHS, value="auto", allow_blank=False, id="assistants_path"),
                )
                yield MarkedCheckbox(
                    "Allow sending the key over plain http to a remote host (unsafe)",
                    id="allow-insecure",
                )
                yield MarkedCheckbox(
                    "Use the environment's proxy and certificates "
                    "(HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE…)",
                    value=True,
                    id="use-env-proxy",
                )
            # outside the scrolling form, next to the buttons: seen without scrolling
            yield Static(id="test-result")
            with Horizontal(id="connection-buttons"):
                yield Button("Test connection", id="test")
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")
        yield Footer()  # this dialog's keys, over the main screen's

    @staticmethod
    def _field(name: str, label: str, widget: Any) -> ComposeResult:
        yield Label(label, classes="field-label")
        yield widget
        yield Label("", id=f"{name}-error", classes="field-error")

    def on_mount(self) -> None:
        """Fill the form from the profile being edited."""
        self._load(self._editing)
        self.query_one("#base_url" if self._editing else "#name", Input).focus()

    def _load(self, profile: Profile | None) -> None:
        from bbot_tui.config.security import mask_key

        self._editing = profile
        read_only = profile is not None and _one_launch(profile.name)
        for selector in _EDITABLE:
            self.query_one(selector).disabled = read_only
        self.query_one("#name", Input).value = profile.name if profile else ""
        self.query_one("#base_url", Input).value = profile.base_url if profile else ""
        key_input = self.query_one("#api_key", Input)
        key_input.value = ""
        has_key = profile is not None and profile.api_key is not None
        if has_key and profile and profile.api_key:
            masked = mask_key(profile.api_key.get_secret_value())
            key_input.placeholder = f"saved key {masked}: leave empty to keep it"
        else:
            key_input.placeholder = "bbot_… (optional)"
        clear = self.query_one("#clear-key", Checkbox)
        clear.value = False
        clear.display = has_key
        headers = profile.extra_headers if profile else {}
        self.query_one("#extra_headers", TextArea).load_text(
            "\n".join(f"{k}: {v}" for k, v in headers.items())
        )
        self.query_one("#assistants_path", Select).value = (
            profile.assistants_path if profile else "auto"
        )
        self.query_one("#allow-insecure", Checkbox).value = bool(
            profile and profile.allow_insecure_http
        )
        self.query_one("#use-env-proxy", Checkbox).value = (
            profile.use_environment_proxy if profile else True
        )
        self._show_key_store(profile)
        self._show_errors({})
        self._show_result(
            Content("Used for this launch only: Save switches to it; it cannot be edited.")
            if read_only
            else None
        )

    @work(exclusive=True, group="key-store", exit_on_error=False)
    async def _show_key_store(self, profile: Profile | None) -> None:
        """Say where the key lives: the system keyring or settings.json (asking the keyring
        may block, so off the event loop)."""
        from bbot_tui.config.secrets import describe_store

        has_key = profile is not None and profile.api_key is not None
        store = profile.key_store if profile is not None else None
        where = await asyncio.to_thread(describe_store, store, has_key=True)
        note = self.query_one("#key-store", Static)
        note.update(
            Content(f"The saved key is kept {where}." if has_key else f"A key is kept {where}.")
        )
        note.display = profile is None or not _one_launch(profile.name)

    @on(Select.Changed, "#profile-select")
    def _profile_chosen(self, event: Select.Changed) -> None:
        event.stop()
        name = event.value
        self._load(self.settings.profiles.get(name) if isinstance(name, str) else None)

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name in FIELDS:
            label = self.query_one(f"#{name}-error", Label)
            text = errors.get(name, "")
            label.update(Content(one_line(text, 200)))
            label.display = bool(text)

    def _form_profile(self) -> Profile | None:
        """The profile of the form, or None after showing its errors."""
        from pydantic import SecretStr, ValidationError

        from bbot_tui.config.settings import Profile

        errors: dict[str, str] = {}
        try:
            headers = parse_headers(self.query_one("#extra_headers", TextArea).text)
        except ValueError as exc:
            errors["extra_headers"] = str(exc)
            headers = {}
        key_text = self.query_one("#api_key", Input).value
        key: Any = key_text if key_text.strip() else None
        if (
            key is None
            and self._editing is not None
            and self._editing.api_key is not None
            and not self.query_one("#clear-key", Checkbox).value
        ):
            key = SecretStr(self._editing.api_key.get_secret_value())
        data: dict[str, Any] = {
            "name": self.query_one("#name", Input).value,
            "base_url": self.query_one("#base_url", Input).value,
            "api_key": key,
            "extra_headers": headers,
            "assistants_path": self.query_one("#assistants_path", Select).value,
            "allow_insecure_http": self.query_one("#allow-insecure", Checkbox).value,
            "use_environment_proxy": self.query_one("#use-env-proxy", Checkbox).value,
        }
        if self._editing is not None and self._editing.name == data["name"].strip():
            data["last_assistant_id"] = self._editing.last_assistant_id
            data["last_thread_id"] = self._editing.last_thread_id
            data["protocol"] = self._editing.protocol  # not on the form: kept as it was
        profile: Profile | None = None
        try:
            profile = Profile.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                loc = str(error["loc"][0]) if error["loc"] else "name"
                field = "base_url" if loc == "allow_insecure_http" else loc
                errors.setdefault(field, field_error(error))
        if profile is not None and _one_launch(profile.name):
            errors["name"] = "Names in parentheses are reserved for one-launch profiles."
        if profile is not None and profile.cleartext_blocked:
            errors.setdefault(
                "base_url",
                "plain http to a remote host would send the key unencrypted: use https "
                "(or tick the unsafe option below)",
            )
        self._show_errors(errors)
        return None if errors else profile

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        """Validate and dismiss with the profile (a one-launch profile: as it is)."""
        if self._editing is not None and _one_launch(self._editing.name):
            self.dismiss(self._editing)
            return
        profile = self._form_profile()
        if profile is not None:
            self.dismiss(profile)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        """Run the connection checks."""
        profile = self._form_profile()
        if profile is not None:
            self._show_result(Content("testing the connection…"))
            self._test(profile)

    def _show_result(self, content: Content | None) -> None:
        result = self.query_one("#test-result", Static)
        result.update(content or "")
        result.display = content is not None

    @work(exclusive=True, group="test", exit_on_error=False)
    async def _test(self, profile: Profile) -> None:
        from bbot_tui.session.doctor import run_checks

        checks = await run_checks(
            profile.base_url,
            profile.api_key,
            profile.extra_headers,
            allow_insecure=profile.allow_insecure_http,
            trust_env=profile.use_environment_proxy,
        )
        parts: list[str | tuple[str, str]] = []
        for check in checks:
            mark, style = {True: ("✓", "$success"), False: ("✗", "$error")}.get(
                check.ok, ("!", "$warning")
            )
            parts += [(f"{mark} ", style), (one_line(check.name, 40), "bold"), " "]
            parts.append(one_line(check.detail, 300))
            if check.fix:
                parts += ["\n    ", (one_line(check.fix, 300), "$text-muted")]
            parts.append("\n")
        if checks.base_url and checks.base_url != profile.base_url:
            self.query_one("#base_url", Input).value = checks.base_url
            parts.append(
                (f"The server answered at {checks.base_url}: the URL was updated.\n", "bold")
            )
        select = self.query_one("#assistants_path", Select)
        if checks.assistants_path and select.value == "auto":
            select.value = checks.assistants_path
        summary = "Connection works." if checks.ok else "The connection has problems (see above)."
        parts.append((summary, "$success bold" if checks.ok else "$error bold"))
        self._show_result(Content.assemble(*parts))
