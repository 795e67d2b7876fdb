"""The bundled demo: offline graphs served by a real local LangGraph Agent Server.

``server.LocalServer`` runs ``langgraph dev`` in a child process, ``fakes.ScriptedChatModel`` is a
deterministic chat model that needs no network and no keys, and ``graphs`` holds the demo graphs
registered in ``langgraph.json`` next to this file. ``launcher.run_demo`` (``bbot-tui demo``)
starts the server and opens the TUI on it; it is the only module here that loads Textual, and only
when the app is built.
"""
