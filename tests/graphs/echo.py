"""echo: answers with what the graph received in the last human message (no model).

Used by the attachment tests: the answer says which content blocks arrived (type, MIME type,
file name, decoded size) or how long the text was, so a test checks what the graph saw, besides
what the thread's state holds.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph


def describe(content: Any) -> dict[str, Any]:
    """A short, JSON-able description of a message's content."""
    if isinstance(content, str):
        return {"text": len(content)}
    blocks = []
    for block in content:
        if isinstance(block, str):
            blocks.append({"type": "text", "chars": len(block)})
            continue
        item: dict[str, Any] = {"type": block.get("type")}
        if block.get("type") == "text":
            item["chars"] = len(block.get("text") or "")
        if block.get("mime_type"):
            item["mime_type"] = block["mime_type"]
        extras = block.get("extras") or {}
        if extras.get("filename"):
            item["filename"] = extras["filename"]
        if block.get("base64"):
            item["bytes"] = len(base64.b64decode(block["base64"]))
        blocks.append(item)
    return {"blocks": blocks}


async def echo_node(state: MessagesState) -> dict[str, Any]:
    last = next(m for m in reversed(state["messages"]) if m.type == "human")
    summary = json.dumps(describe(last.content), sort_keys=True)
    return {"messages": [AIMessage(content=f"received {summary}")]}


builder = StateGraph(MessagesState)
builder.add_node("echo", echo_node)
builder.add_edge(START, "echo")
builder.add_edge("echo", END)
echo = builder.compile(name="echo")
