"""The screens of the TUI: the main screen (which owns the run worker), the connection screen and
the small modals (confirm, open URL, rename, inspect)."""
