"""The run flow shared by the TUI and the CLI, and the one way to build a client from settings."""
