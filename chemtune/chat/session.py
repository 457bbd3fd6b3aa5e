"""What the Chat tab does, without the widgets: load a model and adapter, stream one turn (or a base-vs-tuned
comparison) into Gradio-style message histories, stop a session's generation, and describe speeds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from chemtune import models
from chemtune.chat.adapters import resolve_adapter, trained_adapters
from chemtune.chat.engine import ChatBackend, ChatEngine, Reply, Settings, shared_engine
from chemtune.errors import ChemtuneError

UPDATE_S = 0.05  # how often the Chat tab redraws a streaming answer

TEXT = {
    "loaded": {"en": "Loaded **{base}** on {device}{adapter}.",
               "ko": "**{base}** 모델을 {device}에 불러왔습니다{adapter}."},
    "with_adapter": {"en": " with adapter **{name}**", "ko": " (어댑터 **{name}**)"},
    "unloaded": {"en": "No model loaded; memory freed.",
                 "ko": "불러온 모델이 없습니다. 메모리를 비웠습니다."},
    "stats": {"en": "**{who}:** first token {ttft} · {speed} · {tokens} tokens",
              "ko": "**{who}:** 첫 토큰 {ttft} · {speed} · {tokens} 토큰"},
    "tuned": {"en": "Tuned", "ko": "튜닝 모델"},
    "base": {"en": "Base", "ko": "기본 모델"},
    "answer": {"en": "Answer", "ko": "답변"},
    "stopped": {"en": " · stopped", "ko": " · 중지됨"},
    "no_adapter": {"en": "Compare mode needs an adapter: load one first.",
                   "ko": "비교 모드에는 어댑터가 필요합니다. 먼저 어댑터를 불러오세요."},
}


def say(key: str, lang: str, **args: object) -> str:
    texts = TEXT[key]
    return (texts.get(lang) or texts["en"]).format(**args)


def adapter_choices() -> list[tuple[str, str]]:
    """(label, value) for the adapter picker: no adapter, then finished train runs (newest first)."""
    rows = [("—", "")]
    for run in trained_adapters():
        label = f"{run['run_id']} ({run['model']})" if run.get("model") else run["run_id"]
        rows.append((label, run["run_id"]))
    return rows


def model_choices() -> list[str]:
    return list(models.PRESETS)


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


def describe(engine: ChatEngine, active: str, lang: str) -> str:
    if not engine.loaded:
        return say("unloaded", lang)
    info = engine.info()
    extra = say("with_adapter", lang, name=active) if active != engine.base else ""
    return say("loaded", lang, base=info["base"], device=info["device"], adapter=extra)


def conversation(system: str, history: list[dict], message: str | list | dict) -> list[dict]:
    """The messages for the model: the system prompt, the earlier turns (Gradio 6 passes structured
    content, flattened later by prompting) and the new user message. Notes and metadata are dropped."""
    messages = [{"role": "system", "content": system}] if system and system.strip() else []
    for turn in history or []:
        if turn.get("role") in ("user", "assistant") and not (turn.get("metadata") or {}).get("title"):
            messages.append({"role": turn["role"], "content": turn.get("content")})
    messages.append({"role": "user", "content": message})
    return messages


def stats_line(who: str, reply: Reply, lang: str) -> str:
    ttft = f"{reply.ttft_ms:.0f} ms" if reply.ttft_ms is not None else "–"
    speed = f"{reply.tokens_per_second:.1f} tokens/s" if reply.tokens_per_second else "– tokens/s"
    line = say("stats", lang, who=who, ttft=ttft, speed=speed, tokens=reply.tokens)
    return line + (say("stopped", lang) if reply.stopped else "")


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
    lang: str = "en"
    stop_event: threading.Event = field(default_factory=threading.Event)


def respond(turn: Turn, message: str | list | dict, history: list[dict],
            base_history: list[dict] | None = None) -> Iterator[tuple[list[dict], list[dict], str]]:
    """Stream the answer into the histories: yields (history, base_history, stats markdown).

    Histories are Gradio 6 message lists ({"role", "content"}; content may be structured). In compare
    mode the tuned answer streams into `history`, then the base answer into `base_history`, each with its
    own earlier turns; both come from the one resident model (adapter on, then off)."""
    base_history = list(base_history or [])
    history = list(history or [])
    jobs = [(turn.model, history, say("tuned" if turn.compare_with else "answer", turn.lang))]
    if turn.compare_with is not None:
        if turn.compare_with == turn.model:
            raise ChemtuneError(say("no_adapter", turn.lang))
        jobs.append((turn.compare_with, base_history, say("base", turn.lang)))
    lines: list[str] = []
    for model, target, who in jobs:
        messages = conversation(turn.system, target, message)
        target.append({"role": "user", "content": message})
        target.append({"role": "assistant", "content": ""})
        yield list(history), list(base_history), "  \n".join(lines)
        reply, shown = None, 0.0
        for _, reply in turn.backend.stream(messages, model, turn.settings, stop_event=turn.stop_event):
            # Redraw at most every UPDATE_S: a browser update per token would cost more time than the
            # token itself on a fast model, and the generation thread would wait for the UI.
            if time.perf_counter() - shown < UPDATE_S and not reply.finish_reason:
                continue
            shown = time.perf_counter()
            target[-1] = {"role": "assistant", "content": reply.text}
            yield list(history), list(base_history), "  \n".join([*lines, stats_line(who, reply, turn.lang)])
        if reply is not None:
            lines.append(stats_line(who, reply, turn.lang))
            if reply.stopped:
                break
    yield list(history), list(base_history), "  \n".join(lines)
