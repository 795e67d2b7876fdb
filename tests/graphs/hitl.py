"""Human-in-the-loop test graphs: subgraph, parallel, legacy_hitl and hitl_v1.

Each graph stops at ``interrupt(...)`` with a fixed payload; the resumed value is echoed into a
final AI message so tests can assert on what the client sent. Offline and deterministic.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt

from bbot_tui.demo.fakes import ScriptedChatModel

# --- subgraph: outer_pre → child(inner_a → inner_ask) → outer_post -------------------------------


async def inner_a_node(state: MessagesState) -> dict[str, Any]:
    model = ScriptedChatModel(text="Inner subgraph streaming an answer.")
    return {"messages": [await model.ainvoke(state["messages"])]}


async def inner_ask_node(state: MessagesState) -> dict[str, Any]:
    answer = interrupt({"question": "inner?"})
    return {"messages": [AIMessage(content=f"inner got {answer}")]}


_child = StateGraph(MessagesState)
_child.add_node("inner_a", inner_a_node)
_child.add_node("inner_ask", inner_ask_node)
_child.add_edge(START, "inner_a")
_child.add_edge("inner_a", "inner_ask")
_child.add_edge("inner_ask", END)
child = _child.compile(name="child")


async def outer_pre_node(state: MessagesState) -> dict[str, Any]:
    return {"messages": [AIMessage(content="outer pre")]}


async def outer_post_node(state: MessagesState) -> dict[str, Any]:
    return {"messages": [AIMessage(content="outer post")]}


_subgraph = StateGraph(MessagesState)
_subgraph.add_node("outer_pre", outer_pre_node)
_subgraph.add_node("child", child)
_subgraph.add_node("outer_post", outer_post_node)
_subgraph.add_edge(START, "outer_pre")
_subgraph.add_edge("outer_pre", "child")
_subgraph.add_edge("child", "outer_post")
_subgraph.add_edge("outer_post", END)
subgraph = _subgraph.compile(name="subgraph")


# --- parallel: two interrupts pending in the same superstep --------------------------------------


class ParallelState(MessagesState):
    a: str
    b: str


async def ask_a_node(state: ParallelState) -> dict[str, Any]:
    return {"a": str(interrupt({"question": "a?"}))}


async def ask_b_node(state: ParallelState) -> dict[str, Any]:
    return {"b": str(interrupt({"question": "b?"}))}


async def join_node(state: ParallelState) -> dict[str, Any]:
    text = f"a={state.get('a')} b={state.get('b')}"
    return {"messages": [AIMessage(content=text)]}


_parallel = StateGraph(ParallelState)
_parallel.add_node("ask_a", ask_a_node)
_parallel.add_node("ask_b", ask_b_node)
_parallel.add_node("join", join_node)
_parallel.add_edge(START, "ask_a")
_parallel.add_edge(START, "ask_b")
_parallel.add_edge(["ask_a", "ask_b"], "join")
_parallel.add_edge("join", END)
parallel = _parallel.compile(name="parallel")


# --- legacy_hitl: agent-inbox HumanInterrupt list ------------------------------------------------

LEGACY_REQUEST: list[dict[str, Any]] = [
    {
        "action_request": {"action": "send_email", "args": {"to": "a@b.c", "body": "hi"}},
        "config": {
            "allow_accept": True,
            "allow_edit": True,
            "allow_respond": True,
            "allow_ignore": True,
        },
        "description": "Send this email?",
    }
]


class DecisionState(MessagesState):
    decision: Any


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else {}
    return value


async def legacy_review_node(state: DecisionState) -> dict[str, Any]:
    return {"decision": interrupt(LEGACY_REQUEST)}


def summarise_legacy(response: Any) -> str:
    """``decision: <type>`` plus `` <json args>`` when the response has non-null args."""
    first = _first(response)
    if not isinstance(first, dict):
        return f"decision: {first}"
    text = f"decision: {first.get('type')}"
    if first.get("args") is not None:
        text += " " + json.dumps(first["args"], sort_keys=True)
    return text


async def legacy_record_node(state: DecisionState) -> dict[str, Any]:
    return {"messages": [AIMessage(content=summarise_legacy(state.get("decision")))]}


def _review_graph(name: str, review: Any, record: Any) -> Any:
    builder = StateGraph(DecisionState)
    builder.add_node("review", review)
    builder.add_node("record", record)
    builder.add_edge(START, "review")
    builder.add_edge("review", "record")
    builder.add_edge("record", END)
    return builder.compile(name=name)


legacy_hitl = _review_graph("legacy_hitl", legacy_review_node, legacy_record_node)


# --- hitl_v1: langchain v1 HumanInTheLoopMiddleware shape -----------------------------------------

V1_REQUEST: dict[str, Any] = {
    "action_requests": [
        {
            "name": "send_email",
            "args": {"to": "a@b.c", "body": "hi"},
            "description": "Tool execution requires approval\n\nTool: send_email",
        }
    ],
    "review_configs": [
        {"action_name": "send_email", "allowed_decisions": ["approve", "edit", "reject"]}
    ],
}


async def v1_review_node(state: DecisionState) -> dict[str, Any]:
    return {"decision": interrupt(V1_REQUEST)}


def summarise_v1(response: Any) -> str:
    """``decision: approve``, ``decision: edit <name> <json args>``, ``decision: reject <msg>``."""
    decisions = response.get("decisions") if isinstance(response, dict) else response
    first = _first(decisions)
    if not isinstance(first, dict):
        return f"decision: {first}"
    kind = first.get("type")
    text = f"decision: {kind}"
    if kind == "edit":
        action = first.get("edited_action") or {}
        args = json.dumps(action.get("args", {}), sort_keys=True)
        text += f" {action.get('name')} {args}"
    elif kind == "reject" and first.get("message"):
        text += f" {first['message']}"
    return text


async def v1_record_node(state: DecisionState) -> dict[str, Any]:
    return {"messages": [AIMessage(content=summarise_v1(state.get("decision")))]}


hitl_v1 = _review_graph("hitl_v1", v1_review_node, v1_record_node)
