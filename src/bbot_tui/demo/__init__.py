"""The bundled demo: offline graphs served by a real local LangGraph Agent Server.

``server.LocalServer`` runs ``langgraph dev`` in a child process, ``fakes.ScriptedChatModel`` is a
deterministic chat model that needs no network and no keys, and ``graphs`` holds the demo graphs
registered in ``langgraph.json`` next to this file. Nothing here imports Textual.
"""
