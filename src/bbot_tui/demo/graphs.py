"""The bundled demo graphs: try bbot-tui without an account, a network or an API key.

Registered in ``langgraph.json`` next to this file (with a description per assistant):

- ``demo_chat``: streams a friendly Markdown answer (heading, list, code block) to any question.
- ``demo_tools``: a tool-using agent; ``get_weather`` or ``calculator`` chosen by keywords.
- ``demo_approval``: drafts a post, asks for approval (HITL interrupt), then publishes or not.
- ``demo_subgraph``: a research subgraph streams its steps, then the parent writes a report.
- ``demo_fail``: starts answering, then fails on purpose with a clear error.

Every answer comes from ``ScriptedChatModel``: deterministic, streamed word by word.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import interrupt

from bbot_tui.demo.fakes import ScriptedChatModel, last_human_text
from bbot_tui.text import markdown_literal

DELAY = 0.02
"""Seconds between streamed words: fast, but slow enough to watch the stream."""


async def _say(messages: Sequence[BaseMessage], text: str, **kwargs: Any) -> BaseMessage:
    return await ScriptedChatModel(text=text, delay=DELAY, **kwargs).ainvoke(messages)


def _question(messages: Sequence[BaseMessage]) -> str:
    return last_human_text(messages).strip() or "(an empty message)"


def _echo(question: str, limit: int = 80) -> str:
    """The question's first line, cut and with Markdown's signs escaped, to quote inside an
    answer's emphasis (a message with an attached file holds its whole text, fences and all)."""
    line = next((part for part in question.splitlines() if part.strip()), question)
    return markdown_literal(line, limit)


# --- demo_chat -----------------------------------------------------------------------------------


def chat_answer(question: str) -> str:
    """The Markdown answer of ``demo_chat``."""
    return f"""## Hello from the bbot-tui demo 👋

You asked: *{_echo(question)}*

I'm a scripted demo assistant running on a **real local LangGraph Agent Server**, so everything
you see is streamed exactly like a B-Bot answer:

- answers arrive token by token and are rendered as Markdown,
- each conversation is a server-side *thread* you can reopen later,
- other demo assistants show **tools**, **approvals**, **subgraphs** and **errors**.

Here is a little Python, because every demo needs code:

```python
def greet(name: str) -> str:
    return f"Hello, {{name}}!"


print(greet("B-Bot"))
```

Connect to your own B-Bot or LangGraph server in the settings to talk to a real model.
"""


async def chat_node(state: MessagesState) -> dict[str, Any]:
    messages = state["messages"]
    return {"messages": [await _say(messages, chat_answer(_question(messages)))]}


_chat = StateGraph(MessagesState)
_chat.add_node("chat", chat_node)
_chat.add_edge(START, "chat")
_chat.add_edge("chat", END)
demo_chat = _chat.compile(name="demo_chat")


# --- demo_tools ----------------------------------------------------------------------------------

_WEATHER = {
    "paris": "sunny, 21 °C",
    "london": "light rain, 14 °C",
    "berlin": "cloudy, 17 °C",
    "tokyo": "clear skies, 24 °C",
    "new york": "windy, 19 °C",
    "zurich": "fresh breeze, 15 °C",
}

_OPS: dict[type[ast.AST], Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        result: float = _OPS[type(node.op)](left, right)
        return result
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        value: float = _OPS[type(node.op)](_evaluate(node.operand))
        return value
    raise ValueError("only numbers and + - * / // % ** ( ) are allowed")


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as ``(2 + 3) * 4``."""
    try:
        value = _evaluate(ast.parse(expression, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as exc:
        return f"Error: cannot evaluate {expression!r}: {exc}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{expression} = {value}"


@tool
def get_weather(city: str) -> str:
    """Return the (made-up) current weather for a city."""
    weather = _WEATHER.get(city.lower(), "mild and partly cloudy, 18 °C")
    return f"The weather in {city} is {weather}."


_MATH_CHARS_RE = re.compile(r"[\d\s.()+\-*/%^x×÷]+")
_MATH_WORDS = {
    " plus ": " + ",
    " minus ": " - ",
    " times ": " * ",
    " multiplied by ": " * ",
    " divided by ": " / ",
}


def find_expression(question: str) -> str | None:
    """Return the longest arithmetic expression in ``question`` (``"2 plus 3"`` → ``"2 + 3"``)."""
    text = f" {question.lower()} "
    for word, symbol in _MATH_WORDS.items():
        text = text.replace(word, symbol)
    candidates = []
    for chunk in _MATH_CHARS_RE.findall(text):
        expression = chunk.replace("^", "**").replace("×", "*").replace("x", "*")
        expression = expression.replace("÷", "/").strip(" .")
        if re.search(r"\d\s*(\*\*|[+\-*/%])\s*[\d(]", expression):
            candidates.append(expression)
    return max(candidates, key=len) if candidates else None


def pick_tool(question: str) -> dict[str, Any] | None:
    """Choose a tool call from keywords: ``{"name": ..., "args": ...}`` or ``None``."""
    lowered = question.lower()
    words = ("weather", "temperature", "forecast", "rain", "sunny")
    if any(word in lowered for word in words) or any(c in lowered for c in _WEATHER):
        city = next((c.title() for c in _WEATHER if c in lowered), None)
        if city is None:
            match = re.search(r"\bin ([A-Z][\w-]*(?: [A-Z][\w-]*)?)", question)
            city = match.group(1) if match else "Paris"
        return {"name": "get_weather", "args": {"city": city}}
    expression = find_expression(question)
    if expression is not None:
        return {"name": "calculator", "args": {"expression": expression}}
    return None


async def agent_node(state: MessagesState) -> dict[str, Any]:
    messages = state["messages"]
    last = messages[-1] if messages else None
    if last is not None and last.type == "tool":
        text = f"I used the **{last.name}** tool. Result: {last.content}"
        return {"messages": [await _say(messages, text)]}
    call = pick_tool(_question(messages))
    if call is None:
        text = (
            "I can use two tools: **get_weather** (try *What's the weather in Tokyo?*) and "
            "**calculator** (try *What is (12 + 30) * 2?*)."
        )
        return {"messages": [await _say(messages, text)]}
    call["id"] = f"call_{call['name']}_{len(messages)}"
    intro = f"Let me use the {call['name']} tool."
    return {"messages": [await _say(messages, intro, tool_calls=[call])]}


_tools = StateGraph(MessagesState)
_tools.add_node("agent", agent_node)
_tools.add_node("tools", ToolNode([get_weather, calculator]))
_tools.add_edge(START, "agent")
_tools.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
_tools.add_edge("tools", "agent")
demo_tools = _tools.compile(name="demo_tools")


# --- demo_approval -------------------------------------------------------------------------------


class ApprovalState(MessagesState):
    draft: str
    decision: dict[str, Any]


async def draft_node(state: ApprovalState) -> dict[str, Any]:
    messages = state["messages"]
    draft = f"📣 Big news: {_question(messages)} — more soon!"
    reply = await _say(messages, f"Here is a draft post:\n\n> {draft}\n\nI need your approval.")
    return {"messages": [reply], "draft": draft}


def parse_decision(value: Any) -> dict[str, Any]:
    """Normalise a resume value to one HITL v1 decision (approve, edit or reject).

    Accepts ``{"decisions": [...]}``, a legacy agent-inbox response list, a bare decision dict,
    or free text / booleans (``"yes"``, ``"ok"``, ``True`` approve; anything else rejects).
    """
    if isinstance(value, dict) and isinstance(value.get("decisions"), list):
        value = value["decisions"][0] if value["decisions"] else {}
    if isinstance(value, list):
        value = value[0] if value else {}
    if isinstance(value, dict):
        kind = value.get("type")
        if kind in ("approve", "accept"):
            return {"type": "approve"}
        if kind == "edit":
            args = (value.get("edited_action") or value.get("args") or {}).get("args", {})
            return {"type": "edit", "text": str(args.get("text", ""))}
        if kind in ("reject", "ignore", "response"):
            return {"type": "reject", "message": str(value.get("message") or value.get("args"))}
        return {"type": "reject", "message": str(value)}
    if value is True or str(value).strip().lower() in ("y", "yes", "ok", "approve", "sure"):
        return {"type": "approve"}
    return {"type": "reject", "message": str(value)}


async def review_node(state: ApprovalState) -> dict[str, Any]:
    request = {
        "action_requests": [
            {
                "name": "publish_post",
                "args": {"text": state["draft"]},
                "description": "Publish this post to the team channel?",
            }
        ],
        "review_configs": [
            {"action_name": "publish_post", "allowed_decisions": ["approve", "edit", "reject"]}
        ],
    }
    return {"decision": parse_decision(interrupt(request))}


async def publish_node(state: ApprovalState) -> dict[str, Any]:
    decision = state["decision"]
    if decision["type"] == "approve":
        text = f"✅ Published:\n\n> {state['draft']}"
    elif decision["type"] == "edit":
        text = f"✅ Published your edited version:\n\n> {decision['text']}"
    else:
        text = f"🛑 Not published. Your feedback: {decision.get('message') or '(none)'}"
    return {"messages": [await _say(state["messages"], text)]}


_approval = StateGraph(ApprovalState)
_approval.add_node("draft", draft_node)
_approval.add_node("review", review_node)
_approval.add_node("publish", publish_node)
_approval.add_edge(START, "draft")
_approval.add_edge("draft", "review")
_approval.add_edge("review", "publish")
_approval.add_edge("publish", END)
demo_approval = _approval.compile(name="demo_approval")


# --- demo_subgraph -------------------------------------------------------------------------------

SOURCES = ("the LangGraph docs", "the B-Bot docs", "an imaginary encyclopedia")


async def search_node(state: MessagesState) -> dict[str, Any]:
    messages = state["messages"]
    write = get_stream_writer()
    found = []
    for i, source in enumerate(SOURCES, start=1):
        write({"step": "search", "source": source, "progress": f"{i}/{len(SOURCES)}"})
        found.append(f"- {source}: a relevant note about *{_echo(_question(messages))}*")
    return {"messages": [await _say(messages, "Findings:\n\n" + "\n".join(found))]}


async def summarize_node(state: MessagesState) -> dict[str, Any]:
    text = f"Summary: {len(SOURCES)} sources agree that this is a fine question."
    return {"messages": [await _say(state["messages"], text)]}


_research = StateGraph(MessagesState)
_research.add_node("search", search_node)
_research.add_node("summarize", summarize_node)
_research.add_edge(START, "search")
_research.add_edge("search", "summarize")
_research.add_edge("summarize", END)
research = _research.compile(name="research")


async def plan_node(state: MessagesState) -> dict[str, Any]:
    messages = state["messages"]
    text = f"I'll ask my research subgraph about *{_echo(_question(messages))}*."
    return {"messages": [await _say(messages, text)]}


async def report_node(state: MessagesState) -> dict[str, Any]:
    text = (
        "## Report\n\nThe research subgraph searched "
        f"{len(SOURCES)} sources and summarised them. Subgraph steps stream under their own "
        "namespace, so a client can show them nested."
    )
    return {"messages": [await _say(state["messages"], text)]}


_subgraph = StateGraph(MessagesState)
_subgraph.add_node("plan", plan_node)
_subgraph.add_node("research", research)
_subgraph.add_node("report", report_node)
_subgraph.add_edge(START, "plan")
_subgraph.add_edge("plan", "research")
_subgraph.add_edge("research", "report")
_subgraph.add_edge("report", END)
demo_subgraph = _subgraph.compile(name="demo_subgraph")


# --- demo_fail -----------------------------------------------------------------------------------

FAIL_MESSAGE = "This demo assistant fails on purpose, to show how server errors look."


async def prepare_node(state: MessagesState) -> dict[str, Any]:
    return {"messages": [AIMessage(content="Let me try that… (this one is going to fail)")]}


async def explode_node(state: MessagesState) -> dict[str, Any]:
    raise RuntimeError(FAIL_MESSAGE)


_fail = StateGraph(MessagesState)
_fail.add_node("prepare", prepare_node)
_fail.add_node("explode", explode_node)
_fail.add_edge(START, "prepare")
_fail.add_edge("prepare", "explode")
_fail.add_edge("explode", END)
demo_fail = _fail.compile(name="demo_fail")
