"""Plain test graphs: chat, approval, fail, slow, writer, steps and markdown.

Served by the real local server started from ``tests/graphs/langgraph.json``; offline and
deterministic (``bbot_tui.demo.fakes.ScriptedChatModel``). Graph ids and node names are contracts
used by the API and UI tests.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from bbot_tui.demo.fakes import ScriptedChatModel, last_human_text


def _setting(config: RunnableConfig, runtime: Runtime[Any], key: str, default: Any) -> Any:
    """Read ``key`` from the run's ``config.configurable``, then its ``context``."""
    configurable = config.get("configurable") or {}
    if configurable.get(key) is not None:
        return configurable[key]
    context = runtime.context
    if isinstance(context, dict) and context.get(key) is not None:
        return context[key]
    return default


def linear(name: str, *nodes: tuple[str, Any], state: type = MessagesState) -> Any:
    """Compile ``START → nodes[0] → … → END`` as graph ``name``."""
    builder = StateGraph(state)
    previous = START
    for node_name, fn in nodes:
        builder.add_node(node_name, fn)
        builder.add_edge(previous, node_name)
        previous = node_name
    builder.add_edge(previous, END)
    return builder.compile(name=name)


# --- chat: one streamed answer echoing the question -------------------------------------------


def echo_text(question: str) -> str:
    """The deterministic answer of the ``chat`` node."""
    return f"You said: {question}. Here is a streamed answer."


async def chat_node(state: MessagesState) -> dict[str, Any]:
    messages = state["messages"]
    reply = await ScriptedChatModel(text=echo_text(last_human_text(messages))).ainvoke(messages)
    return {"messages": [reply]}


chat = linear("chat", ("chat", chat_node))


# --- approval: streamed answer, then interrupt --------------------------------------------------


async def approve_node(state: MessagesState) -> dict[str, Any]:
    draft = next((m.content for m in reversed(state["messages"]) if m.type == "ai"), "")
    answer = interrupt({"question": "approve?", "draft": draft})
    return {"messages": [AIMessage(content=f"you said {answer}")]}


approval = linear("approval", ("chat", chat_node), ("approve", approve_node))


# --- fail: one good node, then an exception -----------------------------------------------------


async def before_node(
    state: MessagesState, config: RunnableConfig, runtime: Runtime[Any]
) -> dict[str, Any]:
    # ``delay`` (default 0) makes the failure come late: /wait pads with newlines after 5 s
    delay = float(_setting(config, runtime, "delay", 0))
    if delay > 0:
        await asyncio.sleep(delay)
    return {"messages": [AIMessage(content="before boom")]}


async def boom_node(state: MessagesState) -> dict[str, Any]:
    raise ValueError("kaboom from node")


fail = linear("fail", ("before", before_node), ("boom_node", boom_node))


# --- slow: N tokens with a delay, cancellable ---------------------------------------------------


async def talk_node(
    state: MessagesState, config: RunnableConfig, runtime: Runtime[Any]
) -> dict[str, Any]:
    tokens = int(_setting(config, runtime, "tokens", 200))
    delay = float(_setting(config, runtime, "delay", 0.02))
    text = " ".join(f"tok{i}" for i in range(tokens))
    reply = await ScriptedChatModel(text=text, delay=delay).ainvoke(state["messages"])
    return {"messages": [reply]}


slow = linear("slow", ("talk", talk_node))


# --- writer: custom stream events ---------------------------------------------------------------


async def work_node(
    state: MessagesState, config: RunnableConfig, runtime: Runtime[Any]
) -> dict[str, Any]:
    delay = float(_setting(config, runtime, "delay", 0.01))
    write = get_stream_writer()
    for i in range(20):
        write({"i": i, "tok": f"t{i}"})
        if delay > 0:
            await asyncio.sleep(delay)
    return {"messages": [AIMessage(content="done")]}


writer = linear("writer", ("work", work_node))


# --- steps: three plain nodes (breakpoints, time travel) ----------------------------------------


def _step(n: int) -> Any:
    async def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(content=f"step{n}")]}

    return node


steps = linear("steps", *((f"step{n}", _step(n)) for n in (1, 2, 3)))


# --- markdown: a long Markdown answer in small chunks -------------------------------------------

MARKDOWN_ANSWER = """# Streaming Markdown

This answer exercises the **Markdown** renderer with *inline* styles, `inline code` and a
[link](https://example.com).

## A list

- first item
- second item with **bold**
  - a nested item
- third item

1. one
2. two
3. three

## A table

| name   | kind    | size |
|--------|---------|-----:|
| alpha  | letter  |    1 |
| beta   | letter  |   22 |
| gamma  | letter  |  333 |

## Some code

```python
def fib(n: int) -> int:
    \"\"\"Return the n-th Fibonacci number.\"\"\"
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


print([fib(i) for i in range(10)])
```

> A quote to finish, spanning
> two lines.

That's all.
"""


async def answer_node(state: MessagesState) -> dict[str, Any]:
    model = ScriptedChatModel(text=MARKDOWN_ANSWER, chunk_chars=7)
    reply = await model.ainvoke(state["messages"])
    return {"messages": [reply]}


markdown = linear("markdown", ("answer", answer_node))
