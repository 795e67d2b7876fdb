"""bbot-tui: a terminal chat client for B-Bot and any LangGraph Agent Server."""

__version__ = "0.1.0"
