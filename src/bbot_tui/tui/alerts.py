"""Alerts that reach you: the terminal bell, a desktop notification, a toast, the inbox badge.

The live follow and the inbox post :class:`~bbot_tui.tui.messages.AttentionNeeded` (an
interrupt waits for a human, or a followed run ended) and
:class:`~bbot_tui.tui.messages.WaitingCount` (how many threads wait); the run controller posts
``run_ended`` for the client's own long runs. The app hands both to its :class:`Alerter`, which
decides, from the settings (:class:`~bbot_tui.config.settings.AlertSettings`) and from where the
user is looking, whether to ring and what to show.

**When.** The user is *looking at* a thread when the app has focus and that thread is open on
the screen in front (dialogs over it do not count as leaving it). Nothing rings, and no toast
shows, for the thread the user is looking at. Otherwise (the terminal window is not focused, or
the app shows another thread, the inbox or another screen) each enabled kind is used: the bell,
the desktop notification and the toast. A ``run_ended`` alert needs a run at least
``long_run_seconds`` long (one without a duration, which its poster could not measure, is
told). The same alert for the same thread within :data:`REPEAT_SECONDS` is told once (the
follow and the inbox may both see one interrupt).

**Together.** Alerts that arrive within :data:`GROUP_SECONDS` of the first are told together:
one bell, one desktop notification and one toast that count them and name the first few
("20 waiting for you, 1 run ended": "T0, T1, T2 and 18 more").
Twenty followed threads stopping on the same question at once are one toast, not twenty (each
toast is a widget mounted on the screen, and twenty of them cost the next key press a tenth
of a second).

Terminal focus is Textual's ``App.app_focus``: Textual turns on focus reporting (mode 1004)
and the terminal reports ``ESC [ I`` / ``ESC [ O``; a key press or a click also counts as focus.

**How.** The bell is ``App.bell()``. The desktop notification is an OSC sequence the app writes
to the terminal itself, through the driver Textual writes everything else with (as Textual's
own OSC 52 clipboard copy does):

* ``ESC ] 777 ; notify ; TITLE ; BODY BEL`` for the terminals that show it with a title:
  VTE terminals (GNOME Terminal, Tilix, Terminator…: ``VTE_VERSION`` set), foot, Ghostty,
  WezTerm and rxvt-unicode;
* ``ESC ] 9 ; TEXT BEL`` everywhere else: iTerm2, kitty, Windows Terminal and any terminal that
  cannot be told apart (terminals that do not know OSC 9 ignore it).

:func:`notification_protocol` applies this rule to the environment. The most specific signal
wins: ``TERM_PROGRAM`` (iTerm2, WezTerm, Ghostty), then ``TERM`` and ``KITTY_WINDOW_ID`` (kitty,
foot, Ghostty, rxvt-unicode), then ``VTE_VERSION`` and ``WT_SESSION``, which a terminal started
from inside another one inherits. Inside tmux (``TMUX`` set) the sequence is wrapped in tmux's
passthrough (``ESC P tmux ; … ESC \\``, each ESC doubled), which tmux hands to the outer
terminal when its ``allow-passthrough`` option is on (and drops otherwise).

**Safety.** Thread titles and interrupt texts come from the server. Every string written in a
sequence goes through :func:`notification_text`: sanitized to one line (no ESC, no BEL, no C0 or
C1 control, no bidi control), ``;`` replaced (it separates OSC 777's fields and ConEmu-style
OSC 9 sub-commands), and capped in length, so content can never end the sequence early or
write one of its own. The text always starts with ``bbot-tui``, never with a number.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from textual.app import SystemCommand
from textual.screen import ModalScreen

from bbot_tui.text import one_line
from bbot_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from bbot_tui.config.settings import AlertSettings
    from bbot_tui.tui.app import BbotApp
    from bbot_tui.tui.messages import AttentionNeeded

__all__ = [
    "APP_NAME",
    "BODY_LIMIT",
    "GROUP_SECONDS",
    "REPEAT_SECONDS",
    "THRESHOLD_STEPS",
    "TITLE_LIMIT",
    "AlertDecision",
    "Alerter",
    "NotificationProtocol",
    "desktop_notification",
    "notification_protocol",
    "notification_text",
]

NotificationProtocol = Literal["osc9", "osc777"]
"""How a desktop notification is written: OSC 9 (text) or OSC 777 (title and body)."""

APP_NAME = "bbot-tui"
"""The first word of every notification."""

TITLE_LIMIT = 80
"""The longest notification title, in characters (with the ``…`` of a cut)."""

BODY_LIMIT = 200
"""The longest notification body, in characters."""

REPEAT_SECONDS = 10.0
"""The same alert (kind, thread, what it says) within this many seconds is told once."""

DETAIL_KEY = 120
"""How much of an alert's text makes it "the same" (the follow and the inbox cut it at
different lengths)."""

GROUP_SECONDS = 0.25
"""Alerts arriving within this many seconds of the first are told together."""

GROUP_NAMES = 3
"""How many threads a grouped alert names before "and N more"."""

THRESHOLD_STEPS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
"""The long-run thresholds the palette steps through, in seconds."""

TOAST_SECONDS = 10.0
"""How long an alert's toast stays."""

_NO_THREAD = object()
_LABELS = {"bell": "The bell", "desktop": "Desktop notifications", "toast": "Toasts"}
_OSC777_PROGRAMS = ("wezterm", "ghostty")
_OSC777_TERMS = ("foot", "xterm-ghostty", "rxvt-unicode")


def notification_protocol(environ: Mapping[str, str] | None = None) -> NotificationProtocol:
    """Choose how to write a desktop notification for the terminal the app runs in.

    See the module docstring for the rule: OSC 777 for VTE terminals, foot, Ghostty, WezTerm
    and rxvt-unicode; OSC 9 for iTerm2, kitty, Windows Terminal and every other terminal.

    Args:
        environ: The environment (default: ``os.environ``).

    Returns:
        ``"osc777"`` or ``"osc9"``.
    """
    env = os.environ if environ is None else environ
    program = env.get("TERM_PROGRAM", "").lower()
    term = env.get("TERM", "").lower()
    if program == "iterm.app":
        return "osc9"
    if program in _OSC777_PROGRAMS:
        return "osc777"
    if term == "xterm-kitty" or env.get("KITTY_WINDOW_ID"):
        return "osc9"
    if term.startswith(_OSC777_TERMS):
        return "osc777"
    if env.get("VTE_VERSION"):
        return "osc777"
    return "osc9"  # Windows Terminal (WT_SESSION) and any terminal that cannot be told


def notification_text(text: str, limit: int) -> str:
    """Make untrusted text safe inside an OSC sequence.

    Args:
        text: A thread title, an interrupt's question, an error (from the server).
        limit: The longest result, in characters.

    Returns:
        One line without any control character (ESC, BEL, C0, C1, DEL, bidi controls), with
        ``;`` replaced by ``,``, cut to ``limit`` characters.
    """
    return one_line(one_line(text, limit * 4).replace(";", ","), limit)


def desktop_notification(
    protocol: NotificationProtocol, title: str, body: str, *, tmux: bool = False
) -> str:
    """The escape sequence that shows a desktop notification.

    Args:
        protocol: OSC 9 or OSC 777 (:func:`notification_protocol`).
        title: The notification's title (sanitized here).
        body: Its text (sanitized here).
        tmux: Wrap it in tmux's passthrough (the app runs inside tmux).

    Returns:
        ``ESC ] 777 ; notify ; title ; body BEL`` or ``ESC ] 9 ; title: body BEL``; the title
        always starts with :data:`APP_NAME`.
    """
    heading = notification_text(f"{APP_NAME}: {title}" if title else APP_NAME, TITLE_LIMIT)
    text = notification_text(body, BODY_LIMIT)
    if protocol == "osc777":
        sequence = f"\x1b]777;notify;{heading};{text}\x07"
    else:
        sequence = f"\x1b]9;{heading}: {text}\x07" if text else f"\x1b]9;{heading}\x07"
    if tmux:
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


def duration_text(seconds: float) -> str:
    """``45 s``, ``3 min 5 s``, ``2 h 10 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class AlertDecision:
    """What one alert does.

    Attributes:
        bell: ring the terminal bell.
        desktop: write a desktop notification.
        toast: show a toast.
    """

    bell: bool = False
    desktop: bool = False
    toast: bool = False

    @property
    def any(self) -> bool:
        """Whether anything is told at all."""
        return self.bell or self.desktop or self.toast


SILENT = AlertDecision()
"""Nothing is told."""


class Alerter:
    """Turns attention messages into the bell, a desktop notification and a toast; the badge.

    The app owns one and hands it every ``AttentionNeeded`` and ``WaitingCount``; its palette
    entries (:meth:`commands`) turn each kind of alert on or off.

    Args:
        app: The app (settings, focus, the screens, the driver that writes to the terminal).
        environ: The environment the notification protocol is chosen from (default:
            ``os.environ``).
    """

    def __init__(self, app: BbotApp, environ: Mapping[str, str] | None = None) -> None:
        self._app = app
        self._environ = environ
        self._protocol: NotificationProtocol | None = None
        self._told: dict[tuple[str, str, str], float] = {}
        self._pending: list[tuple[AttentionNeeded, AlertDecision]] = []
        self.waiting = 0
        """How many threads wait for a human (the last ``WaitingCount``)."""

    @property
    def protocol(self) -> NotificationProtocol:
        """How this terminal is sent desktop notifications (chosen once)."""
        if self._protocol is None:
            self._protocol = notification_protocol(self._environ)
        return self._protocol

    @property
    def settings(self) -> AlertSettings:
        """The alert settings (the defaults until the settings are loaded)."""
        settings = self._app.settings
        if settings is not None:
            return settings.alerts
        from bbot_tui.config.settings import AlertSettings

        return AlertSettings()

    # --- where the user looks -------------------------------------------------------------

    def viewed_thread(self) -> str | None:
        """The thread open on the screen in front (dialogs over it aside); None if none.

        Returns:
            The thread's id; ``""`` for the main screen's new conversation; None when the
            screen in front shows no thread (the inbox, the connection screen…).
        """
        for screen in reversed(self._app.screen_stack):
            if isinstance(screen, ModalScreen):
                continue
            thread_id = getattr(screen, "thread_id", _NO_THREAD)
            if thread_id is _NO_THREAD:
                return None
            return thread_id if isinstance(thread_id, str) else ""
        return None

    def looking_at(self, thread_id: str) -> bool:
        """Whether the app has focus and shows that very thread."""
        return bool(self._app.app_focus) and self.viewed_thread() == thread_id

    # --- attention ------------------------------------------------------------------------

    def decide(self, message: AttentionNeeded) -> AlertDecision:
        """What to do for an attention message (see the module docstring).

        Args:
            message: The interrupt or the ended run.

        Returns:
            Which of the bell, the desktop notification and the toast to use.
        """
        settings = self.settings
        if message.kind == "run_ended" and (
            message.duration is not None and message.duration < settings.long_run_seconds
        ):
            return SILENT
        if self.looking_at(message.thread_id):
            return SILENT
        return AlertDecision(bell=settings.bell, desktop=settings.desktop, toast=settings.toast)

    def attention(self, message: AttentionNeeded) -> AlertDecision:
        """Tell the user, as :meth:`decide` says (once per :data:`REPEAT_SECONDS`), together
        with the alerts of the next :data:`GROUP_SECONDS`.

        Args:
            message: The interrupt or the ended run.

        Returns:
            What will be done for it (:data:`SILENT` when it is not told).
        """
        decision = self.decide(message)
        if not decision.any or self._repeated(message):
            return SILENT
        self._pending.append((message, decision))
        if len(self._pending) == 1:
            self._app.set_timer(GROUP_SECONDS, self.flush, name="alerts")
        return decision

    def flush(self) -> None:
        """Tell what is pending: one bell, one desktop notification, one toast for all."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        bell = any(decision.bell for _, decision in pending)
        desktop = [message for message, decision in pending if decision.desktop]
        toast = [message for message, decision in pending if decision.toast]
        if bell:
            self._app.bell()
        if desktop:
            title, body = self._group_texts(desktop)
            environ = os.environ if self._environ is None else self._environ
            tmux = bool(environ.get("TMUX"))
            self._write(desktop_notification(self.protocol, title, body, tmux=tmux))
        if toast:
            title, body = self._group_texts(toast)
            self._app.notify(
                one_line(body, BODY_LIMIT),
                title=one_line(title, TITLE_LIMIT),
                severity="warning" if any(m.kind == "interrupt" for m in toast) else "information",
                timeout=TOAST_SECONDS,
                markup=False,
            )

    @classmethod
    def _group_texts(cls, messages: list[AttentionNeeded]) -> tuple[str, str]:
        """The title and body that tell one alert, or several together."""
        if len(messages) == 1:
            return cls._texts(messages[0])
        asking = sum(1 for m in messages if m.kind == "interrupt")
        ended = len(messages) - asking
        parts = []
        if asking:
            parts.append(f"{asking} waiting for you")
        if ended:
            parts.append(f"{ended} run{'s' if ended > 1 else ''} ended")
        names = [cls._name(m) for m in messages[:GROUP_NAMES]]
        more = len(messages) - len(names)
        body = ", ".join(names) + (f" and {more} more" if more else "")
        return ", ".join(parts), body

    def _repeated(self, message: AttentionNeeded) -> bool:
        now = time.monotonic()
        self._told = {k: t for k, t in self._told.items() if now - t < REPEAT_SECONDS}
        # the follow and the inbox word one question alike but cut it at different lengths
        key = (message.kind, message.thread_id, message.detail[:DETAIL_KEY])
        if key in self._told:
            return True
        self._told[key] = now
        return False

    @staticmethod
    def _name(message: AttentionNeeded) -> str:
        """The thread's title, or the start of its id."""
        return message.title or (f"thread {message.thread_id[:8]}" if message.thread_id else "")

    @classmethod
    def _texts(cls, message: AttentionNeeded) -> tuple[str, str]:
        """The alert's title and body (still untrusted: sanitized where they are written)."""
        name = cls._name(message)
        if message.kind == "interrupt":
            title = "waiting for you"
        elif message.duration is not None:
            title = f"run ended after {duration_text(message.duration)}"
        else:
            title = "run ended"
        body = ": ".join(part for part in (name, message.detail) if part)
        return title, body

    def _write(self, sequence: str) -> None:
        """Write an escape sequence to the terminal (nothing when there is none: tests)."""
        app = self._app
        driver = app._driver  # Textual's own OSC 52 copy writes through it the same way
        if driver is None or app.is_headless:
            return
        driver.write(sequence)

    # --- the badge ------------------------------------------------------------------------

    def waiting_count(self, count: int) -> None:
        """Show how many threads wait for a human in the status bar ("2 waiting")."""
        self.waiting = max(0, count)
        for screen in self._app.screen_stack:
            for bar in screen.query(StatusBar):
                bar.waiting = self.waiting

    async def open_inbox(self) -> bool:
        """Open the inbox, if the main screen (or the app) has an ``inbox`` action.

        Returns:
            Whether an action was found and run.
        """
        app = self._app
        targets: list[Any] = [app.screen_stack[0], app] if app.screen_stack else [app]
        for target in targets:
            if callable(getattr(target, "action_inbox", None)):
                await app.run_action("inbox", target)
                return True
        return False

    # --- the settings, from the palette ---------------------------------------------------

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's entries that turn each kind of alert on or off, and the threshold."""
        if self._app.settings is None:
            return
        settings = self.settings
        kinds = (
            ("bell", "the bell", "Ring the terminal bell when something needs you elsewhere"),
            (
                "desktop",
                "desktop notifications",
                "A notification from the terminal (OSC 9 / OSC 777) when you are elsewhere",
            ),
            ("toast", "toasts", "A toast in the app when another thread needs you"),
        )
        for name, label, help_text in kinds:
            on = bool(getattr(settings, name))
            yield SystemCommand(
                f"Alerts: turn {label} {'off' if on else 'on'}",
                f"{help_text} (now {'on' if on else 'off'})",
                partial(self.toggle, name),
            )
        current = settings.long_run_seconds
        following = self.next_threshold(current)
        yield SystemCommand(
            f"Alerts: long runs from {duration_text(following)}",
            f"Alert when a run of at least this long ends (now {duration_text(current)})",
            partial(self.set_threshold, following),
        )

    def toggle(self, name: str) -> None:
        """Turn one kind of alert on or off (``bell``, ``desktop``, ``toast``), save, say so."""
        settings = self._app.settings
        if settings is None:
            return
        if name not in _LABELS:
            raise ValueError(f"no alert named {name!r}")
        value = not getattr(settings.alerts, name)
        setattr(settings.alerts, name, value)
        self._app.save_settings()
        label = _LABELS.get(name, name)
        self._app.notify(f"{label}: {'on' if value else 'off'}", title="Alerts")

    @staticmethod
    def next_threshold(current: float) -> float:
        """The next of :data:`THRESHOLD_STEPS` after ``current`` (the first after the last)."""
        return next((step for step in THRESHOLD_STEPS if step > current), THRESHOLD_STEPS[0])

    def set_threshold(self, seconds: float) -> None:
        """Set the long-run threshold, save, and say so."""
        settings = self._app.settings
        if settings is None:
            return
        settings.alerts.long_run_seconds = seconds
        self._app.save_settings()
        self._app.notify(f"Runs of {duration_text(seconds)} or more alert", title="Alerts")
