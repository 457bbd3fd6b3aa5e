"""An OpenAI-compatible API over the chat engine: `GET /v1/models`, `POST /v1/chat/completions`.

`create_api(engine)` is the bare API (routes `/models`, `/chat/completions`) to mount under `/v1` in
any ASGI app (the Gradio app does so when asked); `create_app(engine)` is the standalone server that
`python -m chemtune serve` runs. The request's `model` picks the base model or a loaded adapter. Errors
use OpenAI's shape, `{"error": {"message", "type", "code"}}`: 400 malformed request, 401 missing or wrong
API key (when one is set), 404 unknown model or route, 500 a failure on our side.

Requests wait for the engine (it answers one at a time) on the event loop, behind an asyncio semaphore,
and only then get a worker thread: a queue of completions never takes every thread from `GET /v1/models`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from chemtune.chat.engine import (
    SEED_RANGE,
    ChatEngine,
    GenerationError,
    PromptTooLong,
    Settings,
    clean_messages,
)
from chemtune.chat.streaming import Batcher
from chemtune.errors import ChemtuneError

ROLES = ("system", "user", "assistant", "developer")  # "developer": OpenAI's newer name for system


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[Any] | None = None


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatRequest(BaseModel):
    """The part of OpenAI's chat-completions request chemtune understands (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore")
    model: str = Field(min_length=1)
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = Field(default=None, ge=SEED_RANGE[0], le=SEED_RANGE[1])
    n: int = Field(default=1, ge=1, le=1)
    stop: str | list[str] | None = None

    def settings(self, default_max_tokens: int) -> Settings:
        stop = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        return Settings(
            max_new_tokens=self.max_completion_tokens or self.max_tokens or default_max_tokens,
            temperature=self.temperature or 0.0, top_p=self.top_p or 1.0, seed=self.seed, stop=tuple(stop),
        ).check()

    def plain_messages(self) -> list[dict]:
        for i, message in enumerate(self.messages):
            if message.role in ("tool", "function"):
                raise ChemtuneError(f"message {i} has role {message.role!r}: tools and function calling are "
                                    "not supported; send system, user and assistant messages only.",
                                    ko=f"메시지 {i}의 role이 {message.role!r}입니다: 도구와 함수 호출은 "
                                       "지원하지 않습니다; system, user, assistant 메시지만 보내세요.")
            if message.role not in ROLES:
                raise ChemtuneError(f"message {i} has role {message.role!r}; expected one of "
                                    f"{', '.join(ROLES)}.",
                                    ko=f"메시지 {i}의 role이 {message.role!r}입니다; "
                                       f"{', '.join(ROLES)} 중 하나여야 합니다.")
        # "developer" is OpenAI's newer name for the system role.
        return [{"role": "system" if m.role == "developer" else m.role, "content": m.content}
                for m in self.messages]


class APIError(Exception):
    def __init__(self, status: int, message: str, type: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type, code

    def response(self) -> JSONResponse:
        return JSONResponse({"error": {"message": self.message, "type": self.type, "code": self.code,
                                       "param": None}}, status_code=self.status)


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    return f"Invalid request: {where}: {first.get('msg', 'invalid value')}."


def create_api(engine: ChatEngine, api_key: str | None = None, default_max_tokens: int = 512) -> FastAPI:
    """The OpenAI-compatible routes (`/models`, `/chat/completions`), to mount under `/v1`."""
    api = FastAPI(title="chemtune OpenAI-compatible API", docs_url=None, redoc_url=None, openapi_url=None)
    _openai_errors(api)
    gate = _EngineGate()

    if api_key:
        api.add_middleware(_KeyCheck, api_key=api_key)

    @api.get("/models")
    async def list_models() -> dict:
        created = int(time.time())
        data = [{"id": name, "object": "model", "created": created, "owned_by": "chemtune",
                 "root": engine.base, "parent": None if name == engine.base else engine.base}
                for name in engine.model_names()]
        return {"object": "list", "data": data}

    @api.get("/models/{name:path}")
    async def get_model(name: str) -> dict:
        if name not in engine.model_names():
            raise _unknown_model(engine, name)
        return {"id": name, "object": "model", "created": int(time.time()), "owned_by": "chemtune"}

    @api.post("/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> Any:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise APIError(400, "The request body is not valid JSON.", "invalid_request_error",
                           "invalid_json") from None
        if not isinstance(body, dict):
            raise APIError(400, "The request body must be a JSON object.", "invalid_request_error",
                           "invalid_request")
        try:
            req = ChatRequest.model_validate(body)
            settings = req.settings(default_max_tokens)
            messages = clean_messages(req.plain_messages())
        except ValidationError as exc:
            raise APIError(400, _validation_message(exc), "invalid_request_error",
                           "invalid_request") from None
        except ChemtuneError as exc:
            raise APIError(400, str(exc), "invalid_request_error", "invalid_request") from None
        if req.model not in engine.model_names():
            raise _unknown_model(engine, req.model)
        # Checked before a stream starts: once 200 is sent, a bad request could only be an error event.
        try:
            await run_in_threadpool(engine.prompt_ids, messages, settings)
        except PromptTooLong as exc:
            raise APIError(400, str(exc), "invalid_request_error", "context_length_exceeded") from None
        except ChemtuneError as exc:
            raise APIError(400, str(exc), "invalid_request_error", "invalid_request") from None
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if req.stream:
            include_usage = bool(req.stream_options and req.stream_options.include_usage)
            return StreamingResponse(
                _sse(engine, gate, messages, req.model, settings, completion_id, include_usage),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            reply = await _run_blocking(engine, gate, messages, req.model, settings, request)
        except GenerationError as exc:
            raise APIError(500, str(exc), "server_error", "generation_failed") from None
        except ChemtuneError as exc:
            raise APIError(400, str(exc), "invalid_request_error", "invalid_request") from None
        if reply is None:  # the client hung up while it waited
            return APIError(499, "The client closed the request.", "server_error", "client_closed").response()
        return {
            "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": req.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                         "logprobs": None, "finish_reason": reply.finish_reason}],
            "usage": _usage(reply),
            "chemtune": {"ttft_ms": reply.ttft_ms, "tokens_per_second": reply.tokens_per_second},
        }

    return api


def _openai_errors(app: FastAPI) -> None:
    """Every error in OpenAI's shape: ours, unknown routes and methods, and anything unexpected (500)."""

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"No route {request.method} {request.url.path}; this API has /v1/models and " \
                      "/v1/chat/completions."
            return APIError(404, message, "invalid_request_error", "not_found").response()
        return APIError(exc.status_code, str(exc.detail), "invalid_request_error").response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return APIError(500, f"Internal error: {type(exc).__name__}: {exc}", "server_error",
                        "internal_error").response()


class _EngineGate:
    """One request at a time waits for the engine on the event loop (not in a worker thread); one
    asyncio.Semaphore per event loop, since a semaphore belongs to the loop it first waited on."""

    def __init__(self) -> None:
        self._semaphores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(1)
        return semaphore


def create_app(engine: ChatEngine, api_key: str | None = None, default_max_tokens: int = 512) -> FastAPI:
    """The standalone server: the API under `/v1`."""
    app = FastAPI(title="chemtune serve", docs_url=None, redoc_url=None, openapi_url=None)
    _openai_errors(app)
    app.mount("/v1", create_api(engine, api_key, default_max_tokens))

    @app.get("/")
    def root() -> dict:
        return {"service": "chemtune", "openai_base_url": "/v1", "models": engine.model_names()}

    return app


def api_from_env(environ: dict[str, str]) -> FastAPI:
    """The API over the app's shared engine, loaded from CHEMTUNE_SERVE_MODEL, CHEMTUNE_SERVE_ADAPTERS
    ("name=path-or-run-id,…"), CHEMTUNE_SERVE_TRUST_REMOTE_CODE and CHEMTUNE_SERVE_API_KEY (what
    `python app.py` mounts under /v1)."""
    from chemtune.chat.adapters import resolve_adapter
    from chemtune.chat.engine import shared_engine

    model = (environ.get("CHEMTUNE_SERVE_MODEL") or "").strip()
    if not model:
        raise ChemtuneError("Set CHEMTUNE_SERVE_MODEL to the model the /v1 API serves.",
                            ko="/v1 API가 서비스할 모델을 CHEMTUNE_SERVE_MODEL에 설정하세요.")
    if environ.get("CHEMTUNE_AUTH") and not environ.get("CHEMTUNE_SERVE_API_KEY"):
        # The app's login does not cover the API mounted beside it: an open /v1 would bypass it.
        raise ChemtuneError("CHEMTUNE_AUTH protects the page but not the /v1 API; "
                            "set CHEMTUNE_SERVE_API_KEY as well.",
                            ko="CHEMTUNE_AUTH는 페이지만 보호하고 /v1 API는 보호하지 않습니다; "
                               "CHEMTUNE_SERVE_API_KEY도 설정하세요.")
    specs = (environ.get("CHEMTUNE_SERVE_ADAPTERS") or "").split(",")
    adapters = dict(resolve_adapter(spec) for spec in specs if spec.strip())
    trust = _flag(environ, "CHEMTUNE_SERVE_TRUST_REMOTE_CODE")
    engine = shared_engine().load(model, {name: str(path) for name, path in adapters.items()},
                                  trust_remote_code=trust)
    engine.pinned = model
    engine.pinned_adapters = set(adapters)
    return create_api(engine, api_key=environ.get("CHEMTUNE_SERVE_API_KEY") or None)


def _flag(environ: dict[str, str], name: str) -> bool:
    value = (environ.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ChemtuneError(f"{name} must be 1/true/yes/on or 0/false/no/off, not {environ[name]!r}.",
                        ko=f"{name}은(는) 1/true/yes/on 또는 0/false/no/off여야 "
                           f"합니다({environ[name]!r}은(는) 안 됩니다).")


def _unknown_model(engine: ChatEngine, name: str) -> APIError:
    loaded = ", ".join(engine.model_names()) or "none"
    return APIError(404, f"The model {name!r} does not exist; loaded models: {loaded}.",
                    "invalid_request_error", "model_not_found")


def _usage(reply: Any) -> dict:
    return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.tokens,
            "total_tokens": reply.prompt_tokens + reply.tokens}


class _KeyCheck:
    """Bearer-key check as plain ASGI middleware (unlike @app.middleware("http"), it leaves the request's
    own receive channel alone, so a handler can still notice that the client hung up)."""

    def __init__(self, app: Any, api_key: str) -> None:
        self.app, self.api_key = app, api_key

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            scheme, _, given = header.partition(" ")
            error = None
            if scheme.lower() != "bearer" or not given:
                error = APIError(401, "Missing API key: send 'Authorization: Bearer <key>'.",
                                 "invalid_request_error", "missing_api_key")
            elif not hmac.compare_digest(given.strip().encode(), self.api_key.encode()):
                error = APIError(401, "Incorrect API key provided.", "invalid_request_error",
                                 "invalid_api_key")
            if error is not None:
                await error.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _take_turn(semaphore: asyncio.Semaphore, request: Request) -> bool:
    """Wait on the event loop until the engine is ours; False (and no turn held) if the client hangs up."""
    turn = asyncio.ensure_future(semaphore.acquire())
    try:
        while not turn.done():
            await asyncio.wait({turn}, timeout=0.25)
            if not turn.done() and await request.is_disconnected():
                if turn.done():
                    semaphore.release()
                else:
                    turn.cancel()
                return False
        return True
    except BaseException:
        if turn.done() and not turn.cancelled() and turn.exception() is None:
            semaphore.release()
        else:
            turn.cancel()
        raise


async def _run_blocking(engine: ChatEngine, gate: _EngineGate, messages: list[dict], model: str,
                        settings: Settings, request: Request) -> Any:
    """The whole answer, generated in a worker thread once it is this request's turn; a client that hangs
    up stops it, or leaves the queue (the engine serves one answer at a time, so an abandoned one would
    hold everyone else up). None for a client that left before its turn."""
    semaphore = gate()
    if not await _take_turn(semaphore, request):
        return None
    try:
        stop = threading.Event()
        task = asyncio.ensure_future(run_in_threadpool(engine.run, messages, model, settings, None, stop))
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=0.25)
                if not task.done() and await request.is_disconnected():
                    stop.set()
            return task.result()
        except asyncio.CancelledError:
            stop.set()
            raise
    finally:
        semaphore.release()


async def _sse(engine: ChatEngine, gate: _EngineGate, messages: list[dict], model: str, settings: Settings,
               completion_id: str, include_usage: bool) -> AsyncIterator[str]:
    """OpenAI's chunk stream: a role chunk, content chunks, a finish chunk, [usage chunk], [DONE].

    The engine generates in a thread of its own and hands text straight to the event loop (pieces less
    than 10 ms apart together, see Batcher); when the client reads slower than the model writes, the
    waiting pieces go out as one chunk."""
    created = int(time.time())

    def chunk(delta: dict, finish: str | None = None, usage: dict | None = None, choices: bool = True) -> str:
        data: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                                "model": model, "choices": []}
        if choices:
            data["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        if include_usage:
            data["usage"] = usage
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    # Content chunks are the hot path: the fixed parts are rendered once.
    head, tail = chunk({"content": "\0"}).split(json.dumps("\0"))
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop_event = threading.Event()

    def produce() -> None:
        batch = Batcher(lambda text: loop.call_soon_threadsafe(queue.put_nowait, text))
        try:
            reply = engine.run(messages, model, settings, on_text=batch, stop_event=stop_event)
            batch.flush()
            loop.call_soon_threadsafe(queue.put_nowait, reply)
        except Exception as exc:  # noqa: BLE001 (reported to the client as an error event)
            loop.call_soon_threadsafe(queue.put_nowait, exc)

    producer = threading.Thread(target=produce, name="chemtune-sse", daemon=True)
    yield chunk({"role": "assistant", "content": ""})
    # Its turn at the engine before its thread: waiting streams hold no threads (a client that hangs up
    # while waiting cancels this generator, and its place in the queue with it).
    async with gate():
        producer.start()
        try:
            while True:
                items = [await queue.get()]
                while not queue.empty():
                    items.append(queue.get_nowait())
                text = "".join(item for item in items if isinstance(item, str))
                if text:
                    yield f"{head}{json.dumps(text, ensure_ascii=False)}{tail}"
                end = items[-1]
                if isinstance(end, Exception):
                    # Requests were checked before 200 was sent: what fails now is on our side.
                    error = {"error": {"message": str(end), "type": "server_error",
                                       "code": "generation_failed", "param": None}}
                    yield f"data: {json.dumps(error, ensure_ascii=False)}\n\n"
                    return
                if not isinstance(end, str):  # the finished Reply
                    yield chunk({}, end.finish_reason)
                    if include_usage:
                        yield chunk({}, usage=_usage(end), choices=False)
                    yield "data: [DONE]\n\n"
                    return
        finally:
            stop_event.set()  # a client that hung up ends the generation instead of leaving it running
