"""The chat engine: one resident base model, LoRA adapters switched in place, streamed generation.

Adapters are loaded onto the one base model with PEFT (`load_adapter`) and picked per request with
`set_adapter`; the base answer comes from the same weights with the adapters disabled, so compare mode
never holds a second copy. One generation runs at a time (a lock). `run` generates in the calling thread
and hands out text through a callback (the server's path); `stream` runs it in a thread and yields the
text (the Chat tab's and CLI's path). A stop event ends a generation between two tokens.
"""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from chemtune import generation, models, prompting
from chemtune.chat.streaming import Batcher, stop_criteria, token_streamer
from chemtune.errors import ChemtuneError

ROLES = ("system", "user", "assistant")
SEED_RANGE = (-(2**63), 2**64 - 1)  # what torch.manual_seed accepts


class PromptTooLong(ChemtuneError):
    """The conversation plus the tokens asked for do not fit the model's context."""


class GenerationError(ChemtuneError):
    """The model failed while answering (out of memory, a device error): not the request's fault."""


@dataclass(frozen=True)
class Settings:
    """Decoding settings. Temperature 0 means greedy decoding, as in the paper."""

    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    # The Chat tab and terminal chat: shorten max_new_tokens to the room the context leaves, instead of
    # refusing as the API does (OpenAI's and vLLM's behaviour, which API clients expect).
    fit_context: bool = False

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

    def check(self) -> Settings:
        if not 1 <= self.max_new_tokens <= 32768:
            raise ChemtuneError(f"max new tokens must be between 1 and 32768, not {self.max_new_tokens}.",
                                ko="max new tokens는 1에서 32768 사이여야 "
                                   f"합니다({self.max_new_tokens}은(는) 안 됩니다).")
        if not 0 <= self.temperature <= 5:
            raise ChemtuneError(f"temperature must be between 0 and 5, not {self.temperature}.",
                                ko=f"temperature는 0에서 5 사이여야 합니다({self.temperature}은(는) 안 "
                                   "됩니다).")
        if not 0 < self.top_p <= 1:
            raise ChemtuneError(f"top-p must be above 0 and at most 1, not {self.top_p}.",
                                ko=f"top-p는 0보다 크고 1 이하여야 합니다({self.top_p}은(는) 안 됩니다).")
        if self.seed is not None and not SEED_RANGE[0] <= self.seed <= SEED_RANGE[1]:
            raise ChemtuneError(f"seed must be between {SEED_RANGE[0]} and {SEED_RANGE[1]}, not {self.seed}.",
                                ko=f"seed는 {SEED_RANGE[0]}에서 {SEED_RANGE[1]} 사이여야 "
                                   f"합니다({self.seed}은(는) 안 됩니다).")
        return self


@dataclass
class Reply:
    """An answer as it streams: text so far, token counts and timings (final once finish_reason is set)."""

    model: str
    text: str = ""
    tokens: int = 0
    prompt_tokens: int = 0
    ttft_ms: float | None = None
    tokens_per_second: float | None = None
    seconds: float = 0.0
    finish_reason: str | None = None  # "stop" (end of answer, stop string or Stop button) or "length"
    stopped: bool = False  # ended by the Stop button / a closed connection
    started: float = field(default_factory=time.perf_counter, repr=False)
    first_token_at: float | None = field(default=None, repr=False)

    def mark_token(self, count: int = 1) -> None:
        now = time.perf_counter()
        if self.first_token_at is None:
            self.first_token_at = now
            self.ttft_ms = (now - self.started) * 1000
        self.tokens += count
        self.seconds = now - self.started
        decode_time = now - self.first_token_at
        # Throughput counts the tokens after the first over the time after the first (decode speed).
        if self.tokens > 1 and decode_time > 0:
            self.tokens_per_second = (self.tokens - 1) / decode_time

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("started", "first_token_at"):
            data.pop(key)
        return data


class ChatBackend(Protocol):
    """What the Chat tab and the CLI talk to: the local engine or a remote OpenAI-compatible endpoint."""

    def model_names(self) -> list[str]: ...

    def stream(self, messages: list[dict], model: str | None = None, settings: Settings | None = None,
               stop_event: threading.Event | None = None) -> Iterator[tuple[str, Reply]]: ...


def clean_messages(messages: list[dict]) -> list[dict]:
    """Validate a conversation and flatten structured (Gradio / OpenAI) content to plain text."""
    if not isinstance(messages, list) or not messages:
        raise ChemtuneError("The conversation is empty; send at least one user message.",
                            ko="대화가 비어 있습니다; 사용자 메시지를 하나 이상 보내세요.")
    cleaned = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ChemtuneError(f"message {i} is not an object with 'role' and 'content'.",
                                ko=f"메시지 {i}이(가) 'role'과 'content'가 있는 객체가 아닙니다.")
        role = message.get("role")
        if role not in ROLES:
            raise ChemtuneError(f"message {i} has role {role!r}; expected one of {', '.join(ROLES)}.",
                                ko=f"메시지 {i}의 role이 {role!r}입니다; {', '.join(ROLES)} 중 하나여야 "
                                   "합니다.")
        cleaned.append({"role": role, "content": prompting.flatten_content(message.get("content"))})
    if cleaned[-1]["role"] != "user":
        raise ChemtuneError("The last message must be the user's question.",
                            ko="마지막 메시지는 사용자의 질문이어야 합니다.")
    return cleaned


class ChatEngine:
    """One base model in memory with any number of named adapters; thread-safe streaming generation."""

    def __init__(self) -> None:
        self.model: Any = None
        self.tokenizer: Any = None
        self.base: str | None = None
        self.adapters: dict[str, str] = {}
        self.device = "cpu"
        # The base model the app serves under /v1: API clients rely on it, so the tab may not swap it out.
        self.pinned: str | None = None
        self.pinned_adapters: set[str] = set()  # the adapters it serves there, which the tab may not replace
        self._lock = threading.Lock()  # one generation (or load) at a time
        self._current_stop: threading.Event | None = None

    # ---- loading ---------------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self.model is not None

    def load(self, model: str, adapters: dict[str, str] | None = None, device: str = "auto",
             dtype: str = "auto", trust_remote_code: bool = False) -> ChatEngine:
        """Load a base model (kept if it is already the resident one) and add adapters to it.

        `trust_remote_code` runs the Python code a model's repository ships (EXAONE needs it)."""
        with self._lock:
            if self.pinned and model != self.pinned:
                raise ChemtuneError(f"This app serves {self.pinned!r} under /v1, so it stays loaded; chat "
                                    "with it and its adapters, or use the remote endpoint option.",
                                    ko=f"이 앱은 {self.pinned!r}을(를) /v1으로 서비스하므로 계속 불러와져 "
                                       "있습니다; 그 모델과 어댑터로 대화하거나 원격 엔드포인트 옵션을 "
                                       "쓰세요.")
            if self.base != model or self.model is None:
                self._unload()
                self.model, self.tokenizer = models.load_for_inference(
                    model, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
                self.base = model
                self.device = str(next(self.model.parameters()).device)
            for name, path in (adapters or {}).items():
                self._add_adapter(name, path)
        return self

    def add_adapter(self, name: str, path: str | Path) -> None:
        """Load one more adapter onto the resident base model (no reload; same name + path is a no-op)."""
        with self._lock:
            self._add_adapter(name, path)

    def _add_adapter(self, name: str, path: str | Path) -> None:
        name = str(name).strip()
        if not name:
            raise ChemtuneError("An adapter needs a name.",
                                ko="어댑터에는 이름이 필요합니다.")
        if name == self.base:
            raise ChemtuneError(f"An adapter cannot be named like the base model ({name!r}).",
                                ko=f"어댑터 이름을 기본 모델과 같게({name!r}) 지을 수 없습니다.")
        path = str(Path(path).resolve())
        self._require_model()
        if self.adapters.get(name) == path:
            return
        if name in self.pinned_adapters:
            raise ChemtuneError(f"The adapter {name!r} is served under /v1 from {self.adapters[name]}, so it "
                                f"is not replaced; load {path} under another name (NAME=FOLDER).",
                                ko=f"어댑터 {name!r}은(는) {self.adapters[name]}에서 /v1으로 서비스되고 있어 "
                                   f"바꾸지 않습니다; {path}은(는) 다른 이름으로 불러오세요(NAME=FOLDER).")
        try:
            # Checked before the adapter of the same name is dropped, so a misfit leaves everything as it was.
            models.check_adapter_fits(self.model, Path(path))
            if name in self.adapters:
                self.model.delete_adapter(name)
                del self.adapters[name]
            # attach_adapters undoes PEFT's half-done changes when it fails, so self.model stays usable.
            self.model = models.attach_adapters(self.model, {name: path})
        except ChemtuneError as exc:
            raise ChemtuneError(f"Adapter {name!r} was not loaded onto {self.base!r}: {exc}",
                                ko=f"어댑터 {name!r}을(를) {self.base!r}에 불러오지 못했습니다: "
                                   f"{exc}") from None
        except Exception as exc:
            raise ChemtuneError(f"Adapter {name!r} ({path}) was not loaded onto {self.base!r}: "
                                f"{exc}",
                                ko=f"어댑터 {name!r}({path})을(를) {self.base!r}에 불러오지 못했습니다: "
                                   f"{exc}") from exc
        self.adapters[name] = path

    def unload(self) -> None:
        """Drop the model and its adapters and give the memory back."""
        if self.pinned:
            raise ChemtuneError(f"{self.pinned!r} is served under /v1 and stays loaded while the app runs.",
                                ko=f"{self.pinned!r}은(는) /v1으로 서비스되며 앱이 실행되는 동안 계속 "
                                   "불러와져 있습니다.")
        self.stop()
        with self._lock:
            self._unload()

    def _unload(self) -> None:
        self.model = self.tokenizer = self.base = None
        self.adapters = {}
        gc.collect()
        with contextlib.suppress(Exception):
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    def model_names(self) -> list[str]:
        """The names a request may pick: the base model, then each adapter."""
        return [self.base, *self.adapters] if self.base else []

    def info(self) -> dict:
        params = sum(p.numel() for p in self.model.parameters()) if self.model is not None else 0
        return {"base": self.base, "adapters": dict(self.adapters), "device": self.device,
                "parameters": params}

    def _require_model(self) -> None:
        if self.model is None:
            raise ChemtuneError("No model is loaded; load a base model first.",
                                ko="불러온 모델이 없습니다; 먼저 기본 모델을 불러오세요.")

    # ---- generation ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the generation that is running now (between two tokens)."""
        if self._current_stop is not None:
            self._current_stop.set()

    def count_tokens(self, messages: list[dict]) -> int:
        self._require_model()
        prompt = prompting.render_messages(self.tokenizer, clean_messages(messages))
        return len(prompting.tokenize_prompt(self.tokenizer, prompt))

    def prompt_ids(self, messages: list[dict], settings: Settings) -> list[int]:
        """The prompt's token ids; raises PromptTooLong unless they and settings.max_new_tokens fit the
        model's context (the server calls this before it answers 200, the engine again before generating)."""
        self._require_model()
        prompt = prompting.render_messages(self.tokenizer, clean_messages(messages))
        ids = prompting.tokenize_prompt(self.tokenizer, prompt)
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit and len(ids) >= limit:
            raise PromptTooLong(f"The conversation is {len(ids)} tokens long; this model reads at most "
                                f"{limit}. Clear the history or shorten the message.")
        if limit and len(ids) + settings.max_new_tokens > limit and not settings.fit_context:
            raise PromptTooLong(f"The conversation is {len(ids)} tokens long and {settings.max_new_tokens} "
                                f"new tokens were asked for; this model reads at most {limit} in all. Ask "
                                f"for at most {limit - len(ids)} new tokens, or shorten the conversation.")
        return ids

    def _adapter_context(self, model: str | None) -> Any:
        """Activate the adapter `model` names, or disable adapters for the base model."""
        if model in (None, "", self.base):
            if self.adapters:
                return self.model.disable_adapter()
            return contextlib.nullcontext()
        if model not in self.adapters:
            raise ChemtuneError(f"Unknown model {model!r}; loaded: {', '.join(self.model_names())}.",
                                ko=f"알 수 없는 모델 {model!r}; 불러온 모델: "
                                   f"{', '.join(self.model_names())}.")
        self.model.set_adapter(model)
        return contextlib.nullcontext()

    def run(self, messages: list[dict], model: str | None = None, settings: Settings | None = None,
            on_text: Callable[[str, Reply], None] | None = None, stop_event: threading.Event | None = None,
            _halt: threading.Event | None = None) -> Reply:
        """Answer in this thread and return the finished reply; `on_text(piece, reply)` sees the text as
        it arrives. `model` is the base model's name (or None) or an adapter's name; setting `stop_event`
        ends the answer between two tokens."""
        settings = (settings or Settings()).check()
        messages = clean_messages(messages)
        stop_event = stop_event or threading.Event()
        with self._lock:
            self._require_model()
            reply = Reply(model=model or self.base or "")
            ids = self.prompt_ids(messages, settings)
            reply.prompt_tokens = len(ids)
            limit = getattr(self.model.config, "max_position_embeddings", None)
            if settings.fit_context and limit:
                settings = replace(settings, max_new_tokens=min(settings.max_new_tokens, limit - len(ids)))
            context = self._adapter_context(model)
            self._current_stop = stop_event
            try:
                return self._generate(ids, settings, reply, context, on_text, stop_event, _halt)
            finally:
                self._current_stop = None

    def _generate(self, ids: list[int], settings: Settings, reply: Reply, context: Any,
                  on_text: Callable[[str, Reply], None] | None, stop_event: threading.Event,
                  halt: threading.Event | None) -> Reply:
        import torch

        halt = halt or threading.Event()  # ours (a stop string, a consumer gone); the caller's stays as is
        turn = generation.turn_end(self.model, self.tokenizer)
        hit_stop = False  # a stop string of the request's or the end of the turn cut the text
        sent = 0  # characters of reply.text already handed to on_text
        # The tail that could be the start of a stop string is held back until it cannot be.
        holdback = max(turn.holdback, max((len(s) for s in settings.stop or [] if s), default=1) - 1)

        def flush(upto: int, final: bool = False) -> None:
            nonlocal sent
            if not final:  # trailing whitespace waits for what follows: a next-turn header cuts it
                upto = len(reply.text[:upto].rstrip())
            if upto > sent and on_text is not None:
                on_text(reply.text[sent:upto], reply)
            sent = max(sent, upto)

        def emit(piece: str) -> None:
            nonlocal hit_stop
            if hit_stop:
                return
            before = len(reply.text)
            reply.text += piece
            cut = generation.find_stop(reply.text, settings.stop, before)
            header = turn.find(reply.text, before)
            if header is not None and (cut is None or header <= cut):
                # The model began the next turn: its answer ends before the header, blank lines and all.
                reply.text, hit_stop = reply.text[:header].rstrip(), True
            elif cut is not None:
                reply.text, hit_stop = reply.text[:cut], True
            if hit_stop:
                halt.set()
                flush(len(reply.text), final=True)
            else:
                flush(len(reply.text) - holdback)

        input_ids = torch.tensor([ids], device=self.device)
        kwargs: dict[str, Any] = {
            "input_ids": input_ids, "attention_mask": torch.ones_like(input_ids),
            "max_new_tokens": settings.max_new_tokens,
            "streamer": token_streamer(self.tokenizer, reply.mark_token, emit, turn.token_ids),
            "stopping_criteria": stop_criteria(stop_event, halt),
            "pad_token_id": self.tokenizer.pad_token_id,
            # Every end token the model declares, not just the tokenizer's (which would replace the list).
            "eos_token_id": sorted(turn.token_ids) or None,
        }
        if settings.greedy:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p, top_k=None)
        try:
            if settings.seed is not None:
                torch.manual_seed(settings.seed)
            with torch.inference_mode(), context:
                output = self.model.generate(**kwargs)[0, len(ids):].tolist()
        except ChemtuneError:
            raise
        except Exception as exc:
            raise GenerationError(f"Generation failed: {exc}") from exc
        flush(len(reply.text), final=True)
        reply.seconds = time.perf_counter() - reply.started
        ended_on_eos = bool(output) and output[-1] in turn.token_ids
        full = len(output) >= settings.max_new_tokens and not ended_on_eos
        reply.stopped = stop_event.is_set() and not ended_on_eos and not full and not hit_stop
        reply.finish_reason = "length" if full and not hit_stop else "stop"
        return reply

    def stream(self, messages: list[dict], model: str | None = None, settings: Settings | None = None,
               stop_event: threading.Event | None = None) -> Iterator[tuple[str, Reply]]:
        """Yield (new text, reply so far) as tokens arrive; the last item is ("", finished reply).

        The answer is generated in a thread of its own; closing the iterator early stops it."""
        items: queue.SimpleQueue = queue.SimpleQueue()
        halt = threading.Event()

        def work() -> None:
            reply = Reply(model="")
            batch = Batcher(lambda text: items.put((text, reply)))

            def on_text(piece: str, latest: Reply) -> None:
                nonlocal reply
                reply = latest
                batch(piece)

            try:
                finished = self.run(messages, model, settings, on_text, stop_event, halt)
                batch.flush()
                items.put(finished)
            except BaseException as exc:  # re-raised in the consumer's thread
                items.put(exc)

        thread = threading.Thread(target=work, name="chemtune-generate", daemon=True)
        thread.start()
        try:
            while True:
                item = items.get()
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, Reply):
                    yield "", item
                    return
                yield item
        finally:
            halt.set()  # the consumer left early: end the generation now
            thread.join()

    def generate(self, messages: list[dict], model: str | None = None,
                 settings: Settings | None = None) -> Reply:
        """The whole answer at once (the same code path as streaming, so the text is identical)."""
        return self.run(messages, model, settings)


_SHARED: ChatEngine | None = None
_SHARED_LOCK = threading.Lock()


def shared_engine() -> ChatEngine:
    """The app's one engine (the Chat tab and the mounted /v1 API use the same resident model)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ChatEngine()
        return _SHARED
