"""The ``reasoning`` test graph: a model that thinks aloud, and a tool that streams its output.

``model`` ⇄ ``tools`` (a real ``ToolNode``), like ``agent``, but:

- the model streams LangChain v1 standard ``{"type": "reasoning", "reasoning": ...}`` content
  blocks before its ``{"type": "text", ...}`` blocks (each chunk's content is a one-block list
  with an ``index``, as provider integrations stream them), so the final message's content is
  ``[{"type": "reasoning", ...}, {"type": "text", ...}]``;
- the ``forecast`` tool streams its output line by line while it runs, through
  ``ToolRuntime.emit_output_delta`` (the ``tools`` stream mode: ``tool-started``,
  ``tool-output-delta``…, ``tool-finished``: the thread event protocol's ``tools`` channel; the
  runs API refuses that mode) and through the stream writer (``custom`` events
  ``{"tool_call_id", "delta"}``, what the runs API can carry).

The thread event protocol runs a graph with ``astream_events(version="v3")``, which asks the
graph only for the stream modes its transformers need (values, messages, lifecycle by
default): :class:`ToolStream` is registered at compile time so the ``tools`` mode, and with it
the ``tools`` channel, is streamed too.

On a new question the model reasons, says one sentence and calls ``forecast`` with
``{"city": "Paris"}``; once the ToolMessage answers, it reasons again and answers quoting the
tool's result. Offline and deterministic; ``delay`` (``configurable`` or ``context``) sets the
seconds between streamed pieces (default 0.005).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, ToolRuntime, tools_condition
from langgraph.stream import StreamTransformer
from pydantic import Field

from bbot_tui.demo.fakes import split_words

FORECAST_LINES = ("Morning: fog, 12 °C.\n", "Afternoon: sun, 21 °C.\n", "Evening: clear, 15 °C.\n")
"""What the ``forecast`` tool streams, one delta per line; its result is their concatenation."""

THINK_FIRST = "The user wants the weather. I should call the forecast tool for Paris first."
"""The model's reasoning before the tool call."""

SAY_FIRST = "Let me check the forecast."
"""The model's text before the tool call."""

THINK_AFTER = "The tool answered with three lines; I will quote them."
"""The model's reasoning once the tool answered."""

ANSWER_PREFIX = "The forecast for Paris:\n\n"
"""The final answer is this prefix followed by the tool's result."""

_ARGS_PIECE = 8


class ThinkingChatModel(BaseChatModel):
    """A chat model that streams reasoning blocks, then text blocks, then tool calls.

    Every streamed chunk's content is a list holding one standard content block with an
    ``index`` (reasoning at index 0, text at index 1), so LangChain merges the chunks into
    ``[{"type": "reasoning", "reasoning": ...}, {"type": "text", "text": ...}]``.
    """

    reasoning: str = ""
    """The reasoning to stream first."""

    text: str = ""
    """The answer to stream after the reasoning."""

    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    """Tool calls to emit after the text, each ``{"name": str, "args": dict, "id": str}``."""

    delay: float = 0.0
    """Seconds to wait before every chunk after the first one."""

    @property
    def _llm_type(self) -> str:
        return "bbot-thinking"

    def _chunks(self, messages: Sequence[BaseMessage]) -> list[AIMessageChunk]:
        chunks = [
            AIMessageChunk(content=[{"type": "reasoning", "reasoning": piece, "index": 0}])
            for piece in split_words(self.reasoning)
        ]
        chunks += [
            AIMessageChunk(content=[{"type": "text", "text": piece, "index": 1}])
            for piece in split_words(self.text)
        ]
        for index, call in enumerate(self.tool_calls):
            args = json.dumps(call.get("args", {}), ensure_ascii=False)
            # content block indices are shared (reasoning 0, text 1, then the calls), as
            # providers number them: a call at index 0 would overwrite the reasoning block
            # when the server merges the chunks into content blocks (thread event protocol)
            position = 2 + index
            first = tool_call_chunk(name=call["name"], args="", id=call.get("id"), index=position)
            chunks.append(AIMessageChunk(content=[], tool_call_chunks=[first]))
            for i in range(0, len(args), _ARGS_PIECE):
                piece = tool_call_chunk(args=args[i : i + _ARGS_PIECE], index=position)
                chunks.append(AIMessageChunk(content=[], tool_call_chunks=[piece]))
        if not chunks or chunks[-1].tool_call_chunks:
            # usage and finish reason in an empty last chunk, as providers send them: LangChain
            # parses a "last" chunk's own tool-call piece as a whole call (and the event
            # protocol's message stream then loses the arguments' end)
            chunks.append(AIMessageChunk(content=[]))
        last = chunks[-1]
        last.chunk_position = "last"
        last.response_metadata = {
            "finish_reason": "tool_calls" if self.tool_calls else "stop",
            "model_name": "bbot-thinking",
        }
        words = sum(len(str(m.content).split()) for m in messages)
        out = len(chunks)
        last.usage_metadata = UsageMetadata(
            input_tokens=words, output_tokens=out, total_tokens=words + out
        )
        return chunks

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        chunks = self._chunks(messages)
        total = chunks[0]
        for chunk in chunks[1:]:
            total = total + chunk
        message = AIMessage(
            content=total.content,
            tool_calls=total.tool_calls,
            response_metadata=total.response_metadata,
            usage_metadata=total.usage_metadata,
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for message in self._chunks(messages):
            chunk = ChatGenerationChunk(message=message)
            if run_manager:
                run_manager.on_llm_new_token(message.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for i, message in enumerate(self._chunks(messages)):
            if i and self.delay > 0:
                await asyncio.sleep(self.delay)
            chunk = ChatGenerationChunk(message=message)
            if run_manager:
                await run_manager.on_llm_new_token(message.text, chunk=chunk)
            yield chunk


def delay_of(config: RunnableConfig | None) -> float:
    """The ``delay`` setting of a run (``configurable``, then ``context``), 0.005 by default."""
    configurable = (config or {}).get("configurable") or {}
    value = configurable.get("delay")
    return float(value) if value is not None else 0.005


@tool
async def forecast(city: str, runtime: ToolRuntime) -> str:
    """Return the (fake) forecast for a city, streaming it line by line."""
    delay = delay_of(runtime.config)
    for line in FORECAST_LINES:
        runtime.emit_output_delta(line)
        runtime.stream_writer({"tool_call_id": runtime.tool_call_id, "delta": line})
        await asyncio.sleep(delay * 4)
    return "".join(FORECAST_LINES)


async def model_node(state: MessagesState, config: RunnableConfig) -> dict[str, Any]:
    messages = state["messages"]
    last = messages[-1] if messages else None
    delay = delay_of(config)
    if last is not None and last.type == "tool":
        model = ThinkingChatModel(
            reasoning=THINK_AFTER, text=ANSWER_PREFIX + str(last.content), delay=delay
        )
    else:
        call = {"name": "forecast", "args": {"city": "Paris"}, "id": f"call_fc_{len(messages)}"}
        model = ThinkingChatModel(
            reasoning=THINK_FIRST, text=SAY_FIRST, tool_calls=[call], delay=delay
        )
    return {"messages": [await model.ainvoke(messages)]}


class ToolStream(StreamTransformer):
    """Asks a v3 stream for the ``tools`` mode and lets its events through unchanged."""

    required_stream_modes = ("tools",)

    def init(self) -> dict[str, Any]:
        return {}

    def process(self, event: Any) -> bool:
        return True


_reasoning = StateGraph(MessagesState)
_reasoning.add_node("model", model_node)
_reasoning.add_node("tools", ToolNode([forecast]))
_reasoning.add_edge(START, "model")
_reasoning.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
_reasoning.add_edge("tools", "model")
reasoning = _reasoning.compile(name="reasoning", transformers=[ToolStream])
