"""The follow controller on its own: which threads are followed, once each, and how it stops.

The follows themselves (a ThreadFollower against a server) are covered by
``test_follow_tui.py``; here :meth:`FollowController.follow` is a coroutine that waits until
cancelled, so the bookkeeping is checked alone: one task per thread at most, the open thread
followed in the foreground and not in the background, marks and the profile kept in step,
every task cancelled on the way out.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bbot_tui.config.settings import Profile
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.screens.thread_follow import FollowController, FollowedThread


class _Services:
    def __init__(self) -> None:
        self.profile: Profile | None = Profile(name="p", base_url="http://127.0.0.1:1")
        self.saves = 0

    def save_settings(self) -> None:
        self.saves += 1


class _Pane:
    def __init__(self) -> None:
        self.followed: frozenset[str] = frozenset()

    def set_followed(self, ids: frozenset[str]) -> None:
        self.followed = ids


class _Bar:
    status = "idle"
    notice = ""


class _Host:
    running = False

    def __init__(self) -> None:
        self.services = _Services()
        self.thread_pane = _Pane()
        self.status_bar = _Bar()
        self.notes: list[str] = []

    def notify(self, message: str, **_: Any) -> None:
        self.notes.append(message)


class _Threads:
    thread_id: str | None = None

    def title(self, thread_id: str) -> str:
        return f"title of {thread_id}"


class _Runs:
    def __init__(self) -> None:
        self.transcript = Transcript()


@pytest.fixture
def controller(monkeypatch: pytest.MonkeyPatch) -> FollowController:
    async def wait_forever(self: FollowController, follow: FollowedThread) -> None:
        follow.phase = "following"
        await asyncio.Event().wait()

    monkeypatch.setattr(FollowController, "follow", wait_forever)
    return FollowController(_Host(), _Runs(), _Threads())  # type: ignore[arg-type]


def _going(controller: FollowController) -> list[tuple[str, bool]]:
    return [(f.thread_id, f.foreground) for f in controller.follows()]


async def test_one_follow_per_thread_and_the_open_one_in_the_foreground(
    controller: FollowController,
) -> None:
    host: Any = controller._host
    threads: Any = controller._threads
    host.services.profile.followed_threads = ["a", "b"]
    controller.reset()
    assert _going(controller) == [("a", False), ("b", False)]
    assert host.thread_pane.followed == {"a", "b"}

    # opening a followed thread moves it to the foreground: still one follow for it
    background_a = controller.background["a"]
    threads.thread_id = "a"
    controller.open("a")
    await asyncio.sleep(0)
    assert _going(controller) == [("a", True), ("b", False)]
    assert background_a.task is not None and background_a.task.cancelled()
    follow = controller.open_follow
    assert follow is not None and follow.transcript is controller._runs.transcript
    controller.open("a")  # the same thread, the same transcript: nothing changes
    assert controller.open_follow is follow

    # f on another thread: followed, marked, saved with the profile
    assert controller.toggle("c") is True
    assert controller.followed == ["a", "b", "c"]
    assert host.services.profile.followed_threads == ["a", "b", "c"]
    assert host.thread_pane.followed == {"a", "b", "c"} and host.services.saves == 1
    assert _going(controller) == [("a", True), ("b", False), ("c", False)]
    # f again on the open one: no longer followed in the background; still followed live
    assert controller.toggle("a") is False
    assert _going(controller) == [("a", True), ("b", False), ("c", False)]

    # a new conversation: the open thread's follow stops, the marked ones go on
    threads.thread_id = None
    controller.open(None)
    await asyncio.sleep(0)
    assert follow.task is not None and follow.task.cancelled() and follow.phase == "stopped"
    assert _going(controller) == [("b", False), ("c", False)]

    # leaving: every task cancelled, nothing going
    tasks = [f.task for f in controller.follows()]
    controller.stop_all()
    await asyncio.sleep(0)
    assert all(t is not None and t.cancelled() for t in tasks)
    assert controller.follows() == [] and controller.background == {}


async def test_no_profile_follows_nothing(controller: FollowController) -> None:
    host: Any = controller._host
    host.services.profile = None
    controller.reset()
    controller.open("a")
    assert controller.follows() == [] and controller.followed == []
    assert controller.answer_assistant() is None
