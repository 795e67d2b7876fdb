"""The ``agent`` test graph: a tool-calling loop ``model`` ⇄ ``tools`` (a real ``ToolNode``).

On a new question the model streams a ``get_weather`` call with ``{"city": "Paris"}`` as
``tool_call_chunks``; once a ToolMessage answers it, the model streams a final answer quoting the
tool result. Offline and deterministic.
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from bbot_tui.demo.fakes import ScriptedChatModel

WEATHER = "Sunny, 21 °C in {city}."


@tool
def get_weather(city: str) -> str:
    """Return the (fake) current weather for a city."""
    return WEATHER.format(city=city)


async def model_node(state: MessagesState) -> dict[str, Any]:
    messages = state["messages"]
    last = messages[-1] if messages else None
    if last is not None and last.type == "tool":
        model = ScriptedChatModel(text=f"The weather tool says: {last.content} Enjoy your day!")
    else:
        call_id = f"call_weather_{len(messages)}"
        model = ScriptedChatModel(
            tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": call_id}]
        )
    return {"messages": [await model.ainvoke(messages)]}


_agent = StateGraph(MessagesState)
_agent.add_node("model", model_node)
_agent.add_node("tools", ToolNode([get_weather]))
_agent.add_edge(START, "model")
_agent.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
_agent.add_edge("tools", "model")
agent = _agent.compile(name="agent")
