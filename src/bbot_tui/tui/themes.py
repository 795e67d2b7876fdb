"""The themes bbot-tui registers beside Textual's own.

:data:`PRESENTER_THEME` is presenter mode's (``bbot-tui present``): white on black, bright
colours for the speakers (the user in yellow, the assistant in cyan), text at full opacity and
no muted greys, so a projector in a lit room still shows the conversation. It is registered
by the app for every launch, so it can also be picked in the command palette.
"""

from __future__ import annotations

from textual.theme import Theme

__all__ = ["PRESENTER_THEME"]

PRESENTER_THEME = Theme(
    name="bbot-presenter",
    primary="#FFD700",
    secondary="#FF9CF5",
    accent="#00E5FF",
    warning="#FFB000",
    error="#FF5C5C",
    success="#5CFF7A",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#161616",
    boost="#202020",
    dark=True,
    text_alpha=1.0,
    variables={
        "text-muted": "#D0D0D0",
        "border": "#FFFFFF",
        "border-blurred": "#BBBBBB",
        "footer-background": "#000000",
    },
)
"""High contrast, for projectors: presenter mode's theme."""
