"""A cancelled run's preview: kept on screen, flagged unsaved, gone at the next reconcile.

The server never saves the answer a cancelled run was streaming (docs/PROTOCOL.md, "Cancel, stop"),
so
reconciling with the thread state after a cancel would make the text the user was reading
vanish. ``Reducer.reconcile(keep_unsaved=True)`` keeps this run's previews the state lacks,
flagged ``unsaved``; the messages the state has are still replaced by the stored ones.
"""

from __future__ import annotations

from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.reducer import Reducer


def _metadata(run_id: str) -> StreamEvent:
    return StreamEvent(event="metadata", mode="metadata", ns=(), data={"run_id": run_id})


def _chunk(message_id: str, text: str) -> StreamEvent:
    chunk = {"type": "AIMessageChunk", "id": message_id, "content": text}
    meta = {"langgraph_node": "talk", "langgraph_step": 1}
    return StreamEvent(event="messages", mode="messages", ns=(), data=[chunk, meta])


def _human(message_id: str, text: str) -> dict[str, Any]:
    return {"type": "human", "id": message_id, "content": text}


def _ai(message_id: str, text: str) -> dict[str, Any]:
    return {"type": "ai", "id": message_id, "content": text}


def _cancelled_run(reducer: Reducer, run_id: str, question: str, answer_id: str) -> None:
    """A run that streamed part of an answer, then was stopped."""
    reducer.begin_run()
    reducer.transcript.add_user_message(question, f"in-{run_id}")
    reducer.apply_batch([_metadata(run_id), _chunk(answer_id, "tok0 "), _chunk(answer_id, "tok1 ")])


def test_a_cancelled_preview_is_kept_and_flagged_while_saved_messages_are_replaced() -> None:
    reducer = Reducer()
    t = reducer.transcript
    _cancelled_run(reducer, "run-1", "talk", "answer-1")
    user = t.messages[0]
    t.take_dirty()

    reducer.reconcile([_human("in-run-1", "talk")], keep_unsaved=True)

    assert [(m.role, m.text, m.unsaved) for m in t.messages] == [
        ("human", "talk", False),
        ("ai", "tok0 tok1 ", True),
    ]
    assert t.messages[0] is user and not user.local  # the stored input replaced the local one
    preview = t.messages[1]
    assert not preview.streaming
    assert preview.key in t.take_dirty()[0]  # the view redraws it with its note
    assert t.to_json()[1] == {
        "id": "answer-1",
        "type": "ai",
        "content": "tok0 tok1 ",
        "node": "talk",
        "unsaved": True,
    }
    assert "unsaved" not in t.to_json()[0]


def test_without_keep_unsaved_the_preview_the_state_lacks_is_dropped() -> None:
    reducer = Reducer()
    _cancelled_run(reducer, "run-1", "talk", "answer-1")
    reducer.reconcile([_human("in-run-1", "talk")])
    assert [(m.role, m.text) for m in reducer.transcript.messages] == [("human", "talk")]


def test_an_unsaved_input_is_kept_too() -> None:
    """Stopped before the input was saved: the question stays with its partial answer."""
    reducer = Reducer()
    _cancelled_run(reducer, "run-1", "talk", "answer-1")
    reducer.reconcile([], keep_unsaved=True)
    t = reducer.transcript
    assert [(m.role, m.unsaved, m.local) for m in t.messages] == [
        ("human", True, False),
        ("ai", True, False),
    ]


def test_the_next_run_shows_only_saved_messages() -> None:
    reducer = Reducer()
    t = reducer.transcript
    _cancelled_run(reducer, "run-1", "talk", "answer-1")
    reducer.reconcile([_human("in-run-1", "talk")], keep_unsaved=True)

    # the next run ends normally: the old unsaved preview is not in the state, so it goes
    reducer.begin_run()
    t.add_user_message("again", "in-run-2")
    reducer.apply_batch([_metadata("run-2"), _chunk("answer-2", "done")])
    stored = [_human("in-run-1", "talk"), _human("in-run-2", "again"), _ai("answer-2", "done")]
    reducer.reconcile(stored)
    assert [(m.id, m.text, m.unsaved) for m in t.messages] == [
        ("in-run-1", "talk", False),
        ("in-run-2", "again", False),
        ("answer-2", "done", False),
    ]


def test_a_second_cancel_keeps_only_its_own_preview() -> None:
    reducer = Reducer()
    t = reducer.transcript
    _cancelled_run(reducer, "run-1", "talk", "answer-1")
    reducer.reconcile([_human("in-run-1", "talk")], keep_unsaved=True)
    _cancelled_run(reducer, "run-2", "more", "answer-2")
    reducer.reconcile([_human("in-run-1", "talk"), _human("in-run-2", "more")], keep_unsaved=True)
    assert [(m.id, m.unsaved) for m in t.messages] == [
        ("in-run-1", False),
        ("in-run-2", False),
        ("answer-2", True),
    ]


def test_a_preview_the_state_later_holds_loses_its_flag() -> None:
    reducer = Reducer()
    t = reducer.transcript
    _cancelled_run(reducer, "run-1", "talk", "answer-1")
    reducer.reconcile([_human("in-run-1", "talk")], keep_unsaved=True)
    reducer.reconcile([_human("in-run-1", "talk"), _ai("answer-1", "tok0 tok1 tok2")])
    assert [(m.text, m.unsaved) for m in t.messages] == [
        ("talk", False),
        ("tok0 tok1 tok2", False),
    ]


def test_a_restart_still_drops_the_in_flight_preview() -> None:
    """A second ``metadata`` for the same run: the node runs again, its preview restarts."""
    reducer = Reducer()
    t = reducer.transcript
    _cancelled_run(reducer, "run-1", "talk", "answer-1")
    reducer.apply(_metadata("run-1"))
    assert [m.role for m in t.messages] == ["human"] and t.restarts == 1
    reducer.apply(_chunk("answer-1b", "again"))
    reducer.reconcile([_human("in-run-1", "talk")], keep_unsaved=True)
    assert [(m.text, m.unsaved) for m in t.messages] == [("talk", False), ("again", True)]
