"""What the Chat tab does, without the widgets: load a model and adapter, stream one turn (or a base-vs-tuned
comparison) into Gradio-style message histories, and stop a session's generation. How the page words and
redraws it is the page's (pages/chat.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from chemtune.chat.adapters import resolve_adapter, trained_adapters
from chemtune.chat.engine import ChatBackend, ChatEngine, Reply, Settings, shared_engine
from chemtune.errors import ChemtuneError


def adapter_choices() -> list[tuple[str, str]]:
    """(label, value) for the adapter picker: no adapter, then finished train runs (newest first)."""
    rows = [("—", "")]
    for run in trained_adapters():
        label = f"{run['run_id']} ({run['model']})" if run.get("model") else run["run_id"]
        rows.append((label, run["run_id"]))
    return rows


def load_local(base: str, adapter: str = "", engine: ChatEngine | None = None,
               trust_remote_code: bool = False) -> tuple[ChatEngine, str]:
    """Make `base` the resident model (kept if it already is) and add the adapter (a run id or folder).
    Returns the engine and the name requests use: the adapter's name, or the base model's."""
    engine = engine or shared_engine()
    engine.load(base, trust_remote_code=trust_remote_code)
    if adapter and adapter.strip():
        name, path = resolve_adapter(adapter)
        engine.add_adapter(name, path)
        return engine, name
    return engine, base


def conversation(system: str, history: list[dict], message: str | list | dict) -> list[dict]:
    """The messages for the model: the system prompt, the earlier turns (Gradio 6 passes structured
    content, flattened later by prompting) and the new user message. Notes and metadata are dropped."""
    messages = [{"role": "system", "content": system}] if system and system.strip() else []
    for turn in history or []:
        if turn.get("role") in ("user", "assistant") and not (turn.get("metadata") or {}).get("title"):
            messages.append({"role": turn["role"], "content": turn.get("content")})
    messages.append({"role": "user", "content": message})
    return messages


class StopSignals:
    """One stop event per browser session, so Stop ends that session's answer and no one else's."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def fresh(self, session: str) -> threading.Event:
        with self._lock:
            event = self._events[session] = threading.Event()
            return event

    def stop(self, session: str) -> None:
        with self._lock:
            event = self._events.get(session)
        if event is not None:
            event.set()


@dataclass
class Turn:
    """One user turn to answer: who answers (`model`), and in compare mode the base model too."""

    backend: ChatBackend
    model: str | None
    system: str
    settings: Settings
    compare_with: str | None = None  # the base model's name, for compare mode
    stop_event: threading.Event = field(default_factory=threading.Event)


@dataclass
class Answer:
    """One answer of a turn so far: who gives it ("answer", or "tuned" and "base" in compare mode)."""

    who: str
    reply: Reply


def respond(turn: Turn, message: str | list | dict, history: list[dict],
            base_history: list[dict] | None = None,
            redraw_s: float = 0.0) -> Iterator[tuple[list[dict], list[dict], list[Answer]]]:
    """Stream the answer into the histories: yields (history, base_history, the answers so far).

    Histories are Gradio 6 message lists ({"role", "content"}; content may be structured). In compare
    mode the tuned answer streams into `history`, then the base answer into `base_history`, each with its
    own earlier turns; both come from the one resident model (adapter on, then off). A new token is
    yielded at most every `redraw_s` seconds (the last one always)."""
    base_history = list(base_history or [])
    history = list(history or [])
    jobs = [(turn.model, history, "tuned" if turn.compare_with else "answer")]
    if turn.compare_with is not None:
        if turn.compare_with == turn.model:
            raise ChemtuneError("Compare mode needs an adapter: load one first.",
                                ko="비교 모드에는 어댑터가 필요합니다. 먼저 어댑터를 불러오세요.")
        jobs.append((turn.compare_with, base_history, "base"))
    done: list[Answer] = []
    for model, target, who in jobs:
        messages = conversation(turn.system, target, message)
        target.append({"role": "user", "content": message})
        target.append({"role": "assistant", "content": ""})
        yield list(history), list(base_history), list(done)
        reply, shown, behind = None, None, False
        for _, reply in turn.backend.stream(messages, model, turn.settings, stop_event=turn.stop_event):
            if shown is not None and time.perf_counter() - shown < redraw_s:
                behind = True  # drawn after the stream ends, if nothing newer is drawn before
                continue
            shown, behind = time.perf_counter(), False
            target[-1] = {"role": "assistant", "content": reply.text}
            yield list(history), list(base_history), [*done, Answer(who, reply)]
        if behind:  # the finished answer, whenever its last token came
            target[-1] = {"role": "assistant", "content": reply.text}
            yield list(history), list(base_history), [*done, Answer(who, reply)]
        if reply is not None:
            done.append(Answer(who, reply))
            if reply.stopped:
                break
    yield list(history), list(base_history), done
