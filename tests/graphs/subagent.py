"""The ``subagent`` test graph: a supervisor whose tool runs a subagent (a subgraph).

``supervisor`` ⇄ ``tools`` (a real ``ToolNode``), routed as LangChain's ``create_agent`` routes:
one ``Send("tools", {"__type": "tool_call_with_context", ...})`` task per tool call. On a new
question the supervisor streams two parallel ``research`` calls (topics ``history`` and
``geography``); each ``research`` tool invokes the compiled ``researcher`` graph (``think`` →
``ask``, tagged ``lc_agent_name="researcher"`` as ``create_agent`` tags its agents), so each
researcher's events carry the namespace of its own tool task (``tools:<task id>``), and the
thread event protocol announces it as subagent ``researcher`` caused by that tool call, with its
lifecycle (started, completed, interrupted, failed). Once both ToolMessages answer, the
supervisor streams a summary quoting them.

The question chooses the shape:

- plain: both subagents answer, no interrupt;
- containing ``ask``: the ``history`` subagent interrupts with
  ``{"question": "Which century?"}`` (a question from a nested namespace); the resumed value is
  quoted in its report;
- containing ``fail``: the ``geography`` subagent raises ``RuntimeError("researcher failed")``
  and the run ends in error.

Offline and deterministic; ``delay`` (``configurable``) sets the seconds between the words a
researcher streams (default 0.005).
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Send, interrupt

from bbot_tui.demo.fakes import ScriptedChatModel, last_human_text

TOPICS = ("history", "geography")
"""The topics of the two parallel ``research`` calls, in call order."""

QUESTION = {"question": "Which century?"}
"""The ``history`` subagent's interrupt payload (when the question contains ``ask``)."""


def report_text(topic: str) -> str:
    """What the researcher's ``think`` node streams for ``topic``."""
    return f"Notes on {topic}: three facts found."


class ResearchState(MessagesState):
    topic: str
    mode: str


async def think_node(state: ResearchState, config: RunnableConfig) -> dict[str, Any]:
    topic = state["topic"]
    if topic == "geography" and state.get("mode") == "fail":
        raise RuntimeError("researcher failed")
    delay = (config.get("configurable") or {}).get("delay")
    model = ScriptedChatModel(
        text=report_text(topic), delay=float(delay) if delay is not None else 0.005
    )
    return {"messages": [await model.ainvoke(state["messages"])]}


async def ask_node(state: ResearchState) -> dict[str, Any]:
    if state["topic"] != "history" or state.get("mode") != "ask":
        return {}
    answer = interrupt(QUESTION)
    return {"messages": [AIMessage(content=f"The user chose: {answer}")]}


_researcher = StateGraph(ResearchState)
_researcher.add_node("think", think_node)
_researcher.add_node("ask", ask_node)
_researcher.add_edge(START, "think")
_researcher.add_edge("think", "ask")
_researcher.add_edge("ask", END)
researcher = _researcher.compile(name="researcher").with_config(
    metadata={"lc_agent_name": "researcher"}
)


@tool
async def research(topic: str, mode: str = "plain") -> str:
    """Ask the researcher subagent about a topic; returns its report."""
    result = await researcher.ainvoke(
        {"messages": [HumanMessage(content=f"Research {topic}.")], "topic": topic, "mode": mode}
    )
    # .text, not the content: over the event protocol an AI message's content is a block list
    texts = [m.text for m in result["messages"] if m.type == "ai"]
    return " ".join(texts)


def _mode(question: str) -> str:
    if "fail" in question:
        return "fail"
    if "ask" in question:
        return "ask"
    return "plain"


async def supervisor_node(state: MessagesState, config: RunnableConfig) -> dict[str, Any]:
    messages = state["messages"]
    last = messages[-1] if messages else None
    if last is not None and last.type == "tool":
        reports = [m.text for m in messages if m.type == "tool"][-len(TOPICS) :]
        model = ScriptedChatModel(text="Summary: " + " | ".join(reports), delay=0.005)
    else:
        mode = _mode(last_human_text(messages))
        calls = [
            {
                "name": "research",
                "args": {"topic": topic, "mode": mode},
                "id": f"call_research_{topic}_{len(messages)}",
            }
            for topic in TOPICS
        ]
        model = ScriptedChatModel(text="I will ask two researchers.", tool_calls=calls)
    return {"messages": [await model.ainvoke(messages)]}


def route(state: MessagesState) -> Any:
    """One ``tools`` task per tool call of the last AI message (or the end)."""
    last = state["messages"][-1]
    calls = getattr(last, "tool_calls", None) or []
    if not calls:
        return END
    return [
        Send("tools", {"__type": "tool_call_with_context", "tool_call": call, "state": state})
        for call in calls
    ]


_subagent = StateGraph(MessagesState)
_subagent.add_node("supervisor", supervisor_node)
_subagent.add_node("tools", ToolNode([research]))
_subagent.add_edge(START, "supervisor")
_subagent.add_conditional_edges("supervisor", route, ["tools", END])
_subagent.add_edge("tools", "supervisor")
subagent = _subagent.compile(name="subagent")
