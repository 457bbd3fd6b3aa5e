"""The chat interface against any OpenAI-compatible endpoint (vLLM, OpenAI, Ollama, `chemtune serve`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from chemtune.chat.engine import Reply, Settings, clean_messages
from chemtune.errors import ChemtuneError
from chemtune.retry import CHAT, RetryPolicy


def _explain(base_url: str, exc: Exception) -> ChemtuneError:
    import openai

    if isinstance(exc, openai.AuthenticationError):
        return ChemtuneError(f"{base_url} refused the API key (401); check the key.",
                             ko=f"{base_url}이(가) API 키를 거부했습니다(401); 키를 확인하세요.")
    if isinstance(exc, openai.NotFoundError):
        return ChemtuneError(f"{base_url}: {_message(exc)} (404).",
                             ko=f"{base_url}: {_message(exc)} (404, 찾을 수 없음).")
    if isinstance(exc, openai.APIStatusError):
        return ChemtuneError(f"{base_url} answered {exc.status_code}: {_message(exc)}",
                             ko=f"{base_url}이(가) {exc.status_code}(으)로 응답했습니다: {_message(exc)}")
    if isinstance(exc, openai.APITimeoutError):
        return ChemtuneError(f"{base_url} did not answer in time.",
                             ko=f"{base_url}이(가) 제시간에 응답하지 않았습니다.")
    if isinstance(exc, openai.APIConnectionError):
        return ChemtuneError(f"Cannot reach {base_url}; is the server running and the URL right (…/v1)?",
                             ko=f"{base_url}에 연결할 수 없습니다; 서버가 실행 중이고 URL이 맞는지(…/v1) "
                                "확인하세요.")
    return ChemtuneError(f"{base_url}: {exc}")


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(getattr(exc, "message", exc))


class RemoteChat:
    """Streams answers from an OpenAI-compatible `/v1/chat/completions`, with the engine's interface.

    Requests follow the one retry rule (chemtune.retry) with a chat turn's numbers: a person is waiting,
    so one more try after a short wait. Only the start of a turn is retried, never a half-streamed answer.
    """

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 120.0,
                 retry: RetryPolicy = CHAT) -> None:
        from openai import OpenAI

        base_url = (base_url or "").strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ChemtuneError(f"Endpoint URL {base_url!r} must start with http:// or https:// "
                                "(for example http://127.0.0.1:8000/v1).",
                                ko=f"엔드포인트 URL {base_url!r}은(는) http:// 또는 https://로 시작해야 "
                                   "합니다 (예: http://127.0.0.1:8000/v1).")
        self.base_url = base_url
        self.model = (model or "").strip()
        self.retry = retry
        # Local servers often need no key, but the client insists on one.
        self.client = OpenAI(base_url=base_url, api_key=api_key or "none", timeout=timeout, max_retries=0)

    def model_names(self) -> list[str]:
        try:
            return [m.id for m in self.retry.call(self.client.models.list)]
        except Exception as exc:
            raise _explain(self.base_url, exc) from None

    def stream(self, messages: list[dict], model: str | None = None, settings: Settings | None = None,
               stop_event: threading.Event | None = None) -> Iterator[tuple[str, Reply]]:
        """Yield (new text, reply so far); the last item has reply.finish_reason set."""
        settings = (settings or Settings()).check()
        messages = clean_messages(messages)
        model = model or self.model
        if not model:
            raise ChemtuneError("Name the remote model (one of the endpoint's /v1/models).",
                                ko="원격 모델의 이름을 지정하세요(엔드포인트의 /v1/models 중 하나).")
        request: dict[str, Any] = {"model": model, "messages": messages, "stream": True,
                                   "max_tokens": settings.max_new_tokens,
                                   "temperature": settings.temperature,
                                   "stream_options": {"include_usage": True}}
        if not settings.greedy:
            request["top_p"] = settings.top_p
        if settings.seed is not None:
            request["seed"] = settings.seed
        if settings.stop:
            request["stop"] = list(settings.stop)
        reply = Reply(model=model)
        try:
            response = self.retry.call(lambda: self.client.chat.completions.create(**request))
        except Exception as exc:
            raise _explain(self.base_url, exc) from None
        usage = None
        try:
            for chunk in response:
                if stop_event is not None and stop_event.is_set():
                    reply.stopped, reply.finish_reason = True, "stop"
                    break
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    piece = choice.delta.content if choice.delta else None
                    if piece:
                        reply.mark_token()  # one chunk ≈ one token; usage below corrects the count
                        reply.text += piece
                        yield piece, reply
                    if choice.finish_reason:
                        reply.finish_reason = choice.finish_reason
        except ChemtuneError:
            raise
        except Exception as exc:
            raise _explain(self.base_url, exc) from None
        finally:
            response.close()
        if usage is not None:
            reply.prompt_tokens = usage.prompt_tokens or 0
            if usage.completion_tokens and reply.first_token_at is not None:
                chunks = reply.tokens
                reply.tokens = usage.completion_tokens
                if reply.tokens_per_second and chunks > 1:
                    reply.tokens_per_second *= (reply.tokens - 1) / (chunks - 1)
        reply.finish_reason = reply.finish_reason or "stop"
        yield "", reply
