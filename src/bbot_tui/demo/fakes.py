"""A deterministic, offline chat model for the demo and the test graphs.

``ScriptedChatModel`` answers with exactly the text (and tool calls) it was built with. It needs no
network and no API key, yet behaves like a real streaming LangChain chat model inside a LangGraph
node: when the run streams ``messages``/``messages-tuple`` the server receives one
``AIMessageChunk`` per word (or per ``chunk_chars`` characters), tool calls arrive as
``tool_call_chunks`` (name and id first, then the JSON arguments in pieces), and the last chunk
carries ``chunk_position="last"``, ``finish_reason`` and usage figures.

Typical use inside a node::

    model = ScriptedChatModel(text=f"You said: {question}.", delay=0.01)
    reply = await model.ainvoke(state["messages"])
    return {"messages": [reply]}

Async callers sleep with ``asyncio.sleep`` between chunks, so a run cancelled through the API
stops mid-stream; sync callers use ``time.sleep``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
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
from pydantic import Field

_WORD_RE = re.compile(r"\S+\s*|\s+")
_ARGS_PIECE = 8
"""Characters of tool-call JSON arguments per streamed chunk."""


def split_words(text: str) -> list[str]:
    """Split ``text`` into word-sized pieces that keep their trailing whitespace.

    Args:
        text: Any text, Markdown included.

    Returns:
        Pieces whose concatenation is exactly ``text`` (``"a b\\n"`` → ``["a ", "b\\n"]``).
    """
    return _WORD_RE.findall(text)


def _split_chars(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _count_words(messages: Sequence[BaseMessage]) -> int:
    return sum(len(str(m.content).split()) for m in messages)


class ScriptedChatModel(BaseChatModel):
    """A chat model that streams a fixed answer, optionally followed by tool calls.

    Every field is plain data, so a node builds a fresh model per call with the answer it wants.
    The input messages are ignored except for the (word-count) ``input_tokens`` usage figure.
    """

    text: str = ""
    """The answer to stream; may be empty when the model only calls tools."""

    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    """Tool calls to emit after the text, each ``{"name": str, "args": dict, "id": str}``."""

    delay: float = 0.0
    """Seconds to wait before every chunk after the first one."""

    chunk_chars: int | None = None
    """Stream fixed-size pieces of this many characters instead of words."""

    model_name: str = "bbot-scripted"
    """Reported in ``response_metadata["model_name"]``."""

    @property
    def _llm_type(self) -> str:
        return "bbot-scripted"

    def _pieces(self) -> list[str]:
        if self.chunk_chars:
            return _split_chars(self.text, self.chunk_chars)
        return split_words(self.text)

    def _chunks(self, messages: list[BaseMessage]) -> list[AIMessageChunk]:
        """Build the chunk sequence: text pieces, then tool-call pieces, then the metadata."""
        chunks = [AIMessageChunk(content=piece) for piece in self._pieces()]
        for index, call in enumerate(self.tool_calls):
            args = json.dumps(call.get("args", {}), ensure_ascii=False)
            chunks.append(
                AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        tool_call_chunk(name=call["name"], args="", id=call.get("id"), index=index)
                    ],
                )
            )
            for piece in _split_chars(args, _ARGS_PIECE):
                chunks.append(
                    AIMessageChunk(
                        content="",
                        tool_call_chunks=[tool_call_chunk(args=piece, index=index)],
                    )
                )
        if not chunks or chunks[-1].tool_call_chunks:
            # the usage and finish reason come in an empty last chunk, as providers send them:
            # LangChain parses a "last" chunk's own tool-call pieces as a whole call, and the
            # event protocol's message stream loses them (docs/PROTOCOL.md)
            chunks.append(AIMessageChunk(content=""))
        output_tokens = len(self._pieces()) + len(self.tool_calls)
        input_tokens = _count_words(messages)
        last = chunks[-1]
        last.chunk_position = "last"
        last.response_metadata = {
            "finish_reason": "tool_calls" if self.tool_calls else "stop",
            "model_name": self.model_name,
        }
        last.usage_metadata = UsageMetadata(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
        )
        return chunks

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        merged = self._chunks(messages)
        total = merged[0]
        for chunk in merged[1:]:
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
        for i, message in enumerate(self._chunks(messages)):
            if i and self.delay > 0:
                time.sleep(self.delay)
            chunk = ChatGenerationChunk(message=message)
            if run_manager:
                run_manager.on_llm_new_token(str(message.content), chunk=chunk)
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
                await run_manager.on_llm_new_token(str(message.content), chunk=chunk)
            yield chunk


def last_human_text(messages: Sequence[BaseMessage]) -> str:
    """Return the text of the newest human message, or ``""`` when there is none.

    List-of-blocks content (``[{"type": "text", "text": ...}]``) is flattened to its text parts.
    """
    for message in reversed(messages):
        if message.type == "human":
            content = message.content
            if isinstance(content, str):
                return content
            parts = [
                block.get("text", "") if isinstance(block, dict) else str(block)
                for block in content
            ]
            return "".join(parts)
    return ""
