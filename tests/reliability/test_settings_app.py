"""A damaged settings file never stops the app from starting (issue 6 §5, docs/PROTOCOL.md "Secrets
and settings").

``tests/unit/test_settings.py`` truncates the file at every byte offset and flips random bytes
against :func:`load_settings`; here the real app starts (Textual ``run_test``) on a file cut at
offsets spread over the whole file and on files with flipped bytes: it reaches its ready state
with default settings, shows a notice naming the file, and the damaged file is kept aside.
"""

from __future__ import annotations

import random

import pytest

from bbot_tui.config import paths
from bbot_tui.config.settings import Profile, Settings, save_settings
from bbot_tui.tui.app import make_app

SAMPLES = 8


def _full() -> bytes:
    settings = Settings(
        profiles={
            "b-bot": Profile(name="b-bot", base_url="https://api.b-bot.space/v2"),
            "local": Profile(name="local", base_url="http://127.0.0.1:9", api_key="bbot_x_123456"),
        },
        active_profile="local",
    )
    settings.input_history = ["hello", "again"]
    save_settings(settings)
    return paths.settings_path().read_bytes()


def _damaged() -> list[bytes]:
    full = _full()
    last = len(full.rstrip()) - 1  # the last cut still lacks the closing brace
    cuts = [full[: round(i * last / (SAMPLES - 1))] for i in range(SAMPLES)]
    rng = random.Random(6)
    flips = []
    for _ in range(2):
        data = bytearray(full)
        data[rng.randrange(1, 40)] ^= 0xFF  # inside the JSON syntax: never salvageable
        flips.append(bytes(data))
    return cuts + flips


@pytest.mark.parametrize("index", range(SAMPLES + 2))
async def test_app_starts_on_a_damaged_settings_file(index: int) -> None:
    damaged = _damaged()[index]
    path = paths.settings_path()
    for stale in path.parent.glob("settings.json.corrupt-*"):
        stale.unlink()
    path.write_bytes(damaged)
    app = make_app(None)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        assert app.settings is not None
        if not damaged.strip():
            assert app.settings == Settings()  # an empty file: defaults, nothing to say
            return
        assert app.settings.profiles == {}
        notes = " ".join(n.message for n in app._notifications)
        assert str(path) in notes or path.name in notes, notes
    backups = list(path.parent.glob("settings.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == damaged
