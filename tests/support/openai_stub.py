"""A local OpenAI-compatible HTTP server for tests: scriptable failures, recorded requests.

Start it as a context manager; point any OpenAI client at `stub.base_url`::

    from tests.support.openai_stub import OpenAIStub, Reply, Fail, Slow, Garbage

    with OpenAIStub(responder=lambda body: '{"answer": "42"}', latency=0.0) as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="sk-test")
        stub.script(Fail(429, retry_after=1), Fail(500))   # the next two chat requests fail, then normal
        stub.on("benzene", Reply("not json"))               # the next request whose messages mention benzene
        ...
        assert stub.count("/v1/chat/completions") == 3
        stub.requests[-1].headers["authorization"]          # what the client sent

Endpoints (all under /v1):
    POST /chat/completions     answer = responder(body) (str, or a dict with "content", "finish_reason",
                               "usage"); `stream: true` answers as server-sent events; `response_format`
                               answered with 400 while `stub.refuse_json_mode` is True.
    POST /completions          plain completions from the same responder (prompt passed as body).
    GET  /models               one model, `stub.model`.
    POST /files, GET /files/{id}, GET /files/{id}/content
    POST /batches, GET /batches/{id}, POST /batches/{id}/cancel, GET /batches
                               a batch runs every line of its input file through the chat endpoint logic
                               (scripts included) on the first retrieve after `batch_delay` seconds;
                               failed lines go to the error file. Cancel answers "cancelling"; the
                               next retrieve ends it "cancelled" with the first `stub.cancel_answers`
                               lines answered (default 0). `stub.end_batch(id, status, answered)` ends a
                               batch as failed/expired/cancelled with its first `answered` lines done.

Scripted actions, consumed one per matching chat/completions request (`on` rules first, then `script`):
    Reply(content, finish_reason="stop", usage=None, delay=0)  a fixed answer
    Fail(status, retry_after=None, message=...)               an error status (429 with Retry-After header)
    Slow(seconds, then=None)                                  wait (e.g. beyond the client's timeout), then
                                                              answer `then` or the responder's answer
    Garbage(text)                                             a 200 whose body is not JSON
Every request (any path) is recorded in `stub.requests` as a `Recorded(method, path, headers, body, time)`;
headers are lower-cased. `stub.latency` (seconds) delays every chat/completions answer. Thread-safe.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict], Any]


@dataclass
class Reply:
    content: str
    finish_reason: str = "stop"
    usage: dict | None = None
    delay: float = 0.0


@dataclass
class Fail:
    status: int
    retry_after: float | None = None
    message: str = "stub error"


@dataclass
class Slow:
    seconds: float
    then: Reply | None = None


@dataclass
class Garbage:
    text: str = "<html>this is not JSON</html>"


Action = Reply | Fail | Slow | Garbage


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, the raw text, or for uploads {"fields": {...}, "files": {name: text}}
    time: float = field(default_factory=time.time)


def echo_responder(body: dict) -> str:
    """The default answer: a JSON object when JSON mode was asked for, else the last user message echoed."""
    messages = body.get("messages") or [{"content": body.get("prompt", "")}]
    last = messages[-1].get("content", "")
    if not isinstance(last, str):
        last = " ".join(part.get("text", "") for part in last if isinstance(part, dict))
    if (body.get("response_format") or {}).get("type") in ("json_object", "json_schema"):
        return json.dumps({"answer": last[:200]}, ensure_ascii=False)
    return f"echo: {last[:200]}"


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _prompt_text(body: dict) -> str:
    if "messages" in body:
        parts = []
        for message in body["messages"]:
            content = message.get("content", "")
            if isinstance(content, list):
                content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            parts.append(str(content))
        return "\n".join(parts)
    return str(body.get("prompt", ""))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops bursts of new connections (a 1 s SYN retry each)


class OpenAIStub:
    """An OpenAI-compatible server on 127.0.0.1 (a free port) with scripted answers; see module docstring."""

    def __init__(self, responder: Responder | None = None, latency: float = 0.0, model: str = "stub-model",
                 port: int = 0) -> None:
        self.responder: Responder = responder or echo_responder
        self.latency = latency
        self.model = model
        self.refuse_json_mode = False
        self.batch_delay = 0.0
        self.cancel_answers = 0
        self.requests: list[Recorded] = []
        self.files: dict[str, dict] = {}
        self.batches: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._script: list[Action] = []
        self._rules: list[tuple[Callable[[dict], bool], list[Action]]] = []
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    # ---- life cycle ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client, ending in /v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIStub:
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes Slow answers
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- scripting ----------------------------------------------------------------------------

    def script(self, *actions: Action) -> None:
        """Queue actions for the next chat/completions requests, whichever they are (FIFO)."""
        with self._lock:
            self._script.extend(actions)

    def on(self, match: str | Callable[[dict], bool], *actions: Action) -> None:
        """Queue actions for the next requests whose prompt text contains `match` (or match(body) is true)."""
        test = match if callable(match) else (lambda body, text=match: text in _prompt_text(body))
        with self._lock:
            self._rules.append((test, list(actions)))

    def reset(self) -> None:
        """Forget scripts, rules and recorded requests."""
        with self._lock:
            self._script.clear()
            self._rules.clear()
            self.requests.clear()

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """How many requests were received (on `path`, e.g. "/v1/chat/completions")."""
        with self._lock:
            return sum(1 for r in self.requests
                       if (path is None or r.path == path) and (method is None or r.method == method))

    def bodies(self, path: str = "/v1/chat/completions") -> list[Any]:
        """The JSON bodies received on `path`, in order."""
        with self._lock:
            return [r.body for r in self.requests if r.path == path]

    def _next_action(self, body: dict) -> Action | None:
        with self._lock:
            for test, actions in self._rules:
                if actions and test(body):
                    return actions.pop(0)
            if self._script:
                return self._script.pop(0)
        return None

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    # ---- answering ----------------------------------------------------------------------------

    def answer_chat(self, body: dict, completions: bool = False) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON body or Garbage) for one chat or completions request."""
        if self.refuse_json_mode and body.get("response_format"):
            return 400, {}, _error("response_format is not supported by this server", "invalid_request_error")
        action = self._next_action(body)
        if self.latency:
            self._stopping.wait(self.latency)
        if isinstance(action, Slow):
            self._stopping.wait(action.seconds)
            action = action.then
        if isinstance(action, Fail):
            headers = {"Retry-After": f"{action.retry_after:g}"} if action.retry_after is not None else {}
            return action.status, headers, _error(action.message, "server_error" if action.status >= 500
                                                  else "rate_limit_exceeded" if action.status == 429
                                                  else "invalid_request_error")
        if isinstance(action, Garbage):
            return 200, {}, action
        if isinstance(action, Reply):
            if action.delay:
                self._stopping.wait(action.delay)
            content, finish, usage = action.content, action.finish_reason, action.usage
        else:
            answer = self.responder(body)
            if isinstance(answer, dict):
                content = answer.get("content", "")
                finish = answer.get("finish_reason", "stop")
                usage = answer.get("usage")
            else:
                content, finish, usage = str(answer), "stop", None
        usage = usage or {"prompt_tokens": _tokens(_prompt_text(body)), "completion_tokens": _tokens(content)}
        usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
        ident = "chatcmpl-" + secrets.token_hex(6)
        if completions:
            choice = {"index": 0, "text": content, "finish_reason": finish, "logprobs": None}
            return 200, {}, {"id": ident, "object": "text_completion", "created": int(time.time()),
                             "model": body.get("model", self.model), "choices": [choice], "usage": usage}
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish,
                  "logprobs": None}
        return 200, {}, {"id": ident, "object": "chat.completion", "created": int(time.time()),
                         "model": body.get("model", self.model), "choices": [choice], "usage": usage}

    def end_batch(self, batch_id: str, status: str, answered: int = 0) -> None:
        """End a batch as `status` (failed, expired, cancelled) with only its first `answered` lines run."""
        self._run_batch(self.batches[batch_id], status=status, limit=answered)

    def _run_batch(self, batch: dict, status: str = "completed", limit: int | None = None) -> None:
        source = self.files[batch["input_file_id"]]["content"].decode("utf-8")
        outputs, errors = [], []
        lines = [line for line in source.splitlines() if line.strip()]
        for line in lines[:limit]:
            request = json.loads(line)
            code, _, answer = self.answer_chat(request.get("body") or {})
            row = {"id": "batch_req_" + secrets.token_hex(6), "custom_id": request.get("custom_id")}
            if isinstance(answer, Garbage):
                errors.append({**row, "response": None,
                               "error": {"code": "invalid_response", "message": answer.text}})
            elif code == 200:
                outputs.append({**row, "response": {"status_code": 200, "request_id": secrets.token_hex(6),
                                                    "body": answer}, "error": None})
            else:
                errors.append({**row, "response": {"status_code": code, "request_id": secrets.token_hex(6),
                                                   "body": answer}, "error": None})
        counts = {"total": len(outputs) + len(errors), "completed": len(outputs), "failed": len(errors)}
        batch.update(status=status, completed_at=int(time.time()), request_counts=counts)
        if outputs:
            batch["output_file_id"] = self._store_file("batch_output.jsonl", "batch_output", _jsonl(outputs))
        if errors:
            batch["error_file_id"] = self._store_file("batch_errors.jsonl", "batch_output", _jsonl(errors))

    def _store_file(self, filename: str, purpose: str, content: bytes) -> str:
        file_id = "file-" + secrets.token_hex(8)
        with self._lock:
            self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(content),
                                   "created_at": int(time.time()), "filename": filename, "purpose": purpose,
                                   "status": "processed", "content": content}
        return file_id


def _due(batch: dict, delay: float) -> bool:
    return time.time() - batch["created_at"] >= delay


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _error(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _file_info(info: dict) -> dict:
    return {key: value for key, value in info.items() if key != "content"}


def _parse_multipart(content_type: str, raw: bytes) -> dict:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[name] = {"filename": part.get_filename(), "content": payload}
        else:
            fields[name] = payload.decode("utf-8")
    return {"fields": fields, "files": files}


def _handler_for(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart (delayed ACK)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _read_body(self) -> tuple[bytes, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("multipart/form-data"):
                return raw, _parse_multipart(ctype, raw)
            try:
                return raw, json.loads(raw) if raw else None
            except json.JSONDecodeError:
                return raw, raw.decode("utf-8", errors="replace")

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> None:
            if isinstance(body, Garbage):
                data = body.text.encode("utf-8")  # sent as application/json: a body that fails to parse
            elif isinstance(body, bytes):
                data = body
            else:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                pass

        def _stream(self, answer: dict) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            choice = answer["choices"][0]
            content = choice["message"]["content"]
            base = {"id": answer["id"], "object": "chat.completion.chunk", "created": answer["created"],
                    "model": answer["model"]}
            pieces = [content[i:i + 8] for i in range(0, len(content), 8)] or [""]
            chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                            "finish_reason": None}]}]
            chunks += [{**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                       for piece in pieces]
            last = {"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}
            chunks.append({**base, "choices": [last], "usage": answer["usage"]})
            try:
                for chunk in chunks:
                    self.wfile.write(b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n")
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def _handle(self, method: str) -> None:
            raw, body = self._read_body() if method == "POST" else (b"", None)
            path = self.path.split("?", 1)[0].rstrip("/")
            headers = {key.lower(): value for key, value in self.headers.items()}
            recorded_body = body
            if isinstance(body, dict) and "files" in body:
                files = {k: v["content"].decode("utf-8", "replace") for k, v in body["files"].items()}
                recorded_body = {"fields": body["fields"], "files": files}
            stub._record(Recorded(method, path, headers, recorded_body))
            parts = path.split("/")[1:]  # ["v1", ...]
            if not parts or parts[0] != "v1":
                return self._send(404, _error(f"no route {path}", "not_found"))
            route = parts[1:]
            if method == "POST" and route in (["chat", "completions"], ["completions"]):
                if not isinstance(body, dict):
                    return self._send(400, _error("the body must be a JSON object", "invalid_request_error"))
                status, extra, answer = stub.answer_chat(body, completions=route == ["completions"])
                streamed = body.get("stream") and route[0] == "chat"
                if status == 200 and streamed and not isinstance(answer, Garbage):
                    return self._stream(answer)
                return self._send(status, answer, extra)
            if method == "GET" and route == ["models"]:
                return self._send(200, {"object": "list", "data": [
                    {"id": stub.model, "object": "model", "created": 0, "owned_by": "stub"}]})
            if route[:1] == ["files"]:
                return self._files(method, route, body)
            if route[:1] == ["batches"]:
                return self._batches(method, route, body)
            return self._send(404, _error(f"no route {method} {path}", "not_found"))

        def _files(self, method: str, route: list[str], body: Any) -> None:
            if method == "POST" and len(route) == 1:
                upload = (body or {}).get("files", {}).get("file")
                if not upload:
                    return self._send(400, _error("no file uploaded", "invalid_request_error"))
                purpose = body["fields"].get("purpose", "batch")
                file_id = stub._store_file(upload["filename"], purpose, upload["content"])
                return self._send(200, _file_info(stub.files[file_id]))
            info = stub.files.get(route[1]) if len(route) > 1 else None
            if info is None:
                return self._send(404, _error("no such file", "not_found"))
            if method == "GET" and len(route) == 2:
                return self._send(200, _file_info(info))
            if method == "GET" and route[2:] == ["content"]:
                return self._send(200, info["content"], content_type="application/octet-stream")
            return self._send(404, _error("no such file route", "not_found"))

        def _batches(self, method: str, route: list[str], body: Any) -> None:
            if method == "POST" and len(route) == 1:
                if not isinstance(body, dict) or body.get("input_file_id") not in stub.files:
                    error = _error("input_file_id is not an uploaded file", "invalid_request_error")
                    return self._send(400, error)
                batch_id = "batch_" + secrets.token_hex(8)
                batch = {"id": batch_id, "object": "batch", "endpoint": body.get("endpoint"),
                         "input_file_id": body["input_file_id"],
                         "completion_window": body.get("completion_window"),
                         "status": "validating", "created_at": int(time.time()), "output_file_id": None,
                         "error_file_id": None, "metadata": body.get("metadata"),
                         "request_counts": {"total": 0, "completed": 0, "failed": 0}}
                with stub._lock:
                    stub.batches[batch_id] = batch
                return self._send(200, batch)
            if method == "GET" and len(route) == 1:
                listing = {"object": "list", "data": list(stub.batches.values()), "has_more": False}
                return self._send(200, listing)
            batch = stub.batches.get(route[1]) if len(route) > 1 else None
            if batch is None:
                return self._send(404, _error("no such batch", "not_found"))
            if method == "POST" and route[2:] == ["cancel"]:
                if batch["status"] in ("validating", "in_progress"):
                    batch["status"] = "cancelling"
                return self._send(200, batch)
            if method == "GET" and len(route) == 2:
                if batch["status"] == "validating":
                    batch["status"] = "in_progress"
                elif batch["status"] == "cancelling":
                    stub._run_batch(batch, status="cancelled", limit=stub.cancel_answers)
                elif batch["status"] == "in_progress" and _due(batch, stub.batch_delay):
                    stub._run_batch(batch)
                return self._send(200, batch)
            return self._send(404, _error("no such batch route", "not_found"))

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler
