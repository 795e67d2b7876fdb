"""Start-up: the cyclic garbage collector waits until the first frame is drawn.

Importing Textual and the app and composing the main screen allocate some hundred thousand
objects, all alive; the collector runs again and again meanwhile, and a full collection (every
module, class and widget scanned) alone costs tens of milliseconds before anything is drawn.
The TUI's launcher pauses it (:func:`pause_collector`) before those imports and the app resumes
it (:func:`resume_collector`) right after its first frame; the few thousand objects that became
garbage in between are collected by the collector's first run after that.

This module imports nothing but :mod:`gc`: the launcher calls it before importing Textual.
"""

from __future__ import annotations

import gc

__all__ = ["pause_collector", "resume_collector"]

_paused = False
"""Whether :func:`pause_collector` disabled the collector (and it is not resumed yet)."""


def pause_collector() -> None:
    """Disable the cyclic garbage collector until :func:`resume_collector` (if it is enabled)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Enable the collector again if :func:`pause_collector` disabled it; otherwise nothing."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()
