"""The teacher LLM: the `openai` client under the one retry rule (chemtune.retry), JSON mode with a
fallback, token counting and cost. The API key lives only in memory: it is never written anywhere, and
every error message that leaves this module has it blanked out.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from chemtune.datagen.config import DEFAULT_BASE_URL, DEFAULT_MODEL, LLMSettings
from chemtune.errors import ChemtuneError

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "LLMClient", "LLMSettings", "check_connection"]
KEY_ENV = "OPENAI_API_KEY"
# USD per 1M tokens (input, output); editable in the UI and stored with each dataset.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gpt-4o-mini": {"input": 0.15, "output": 0.60},
    "gpt-4o": {"input": 2.50, "output": 10.00},
    "gpt-4.1-mini": {"input": 0.40, "output": 1.60},
    "gpt-4.1": {"input": 2.00, "output": 8.00},
    "gpt-3.5-turbo": {"input": 0.50, "output": 1.50},
    "gpt-4": {"input": 30.00, "output": 60.00},
}
BATCH_DISCOUNT = 0.5  # the Batch API costs half


@dataclass
class Completion:
    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    attempts: int = 1
    json_mode: bool = False


class LLMRequestError(Exception):
    """A request that failed for good (after retries), with a message safe to store (key removed)."""


class LLMSetupError(LLMRequestError):
    """A failure every other request would repeat: a refused key, an unknown model, an unreachable server."""


def resolve_api_key(explicit: str | None = None) -> str:
    """The key to use: the given one, else $OPENAI_API_KEY, else a placeholder for keyless local servers."""
    return (explicit or "").strip() or os.environ.get(KEY_ENV, "").strip() or "EMPTY"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (and most of it) blanked out."""
    if not secret or secret == "EMPTY" or len(secret) < 4:
        return text
    text = text.replace(secret, "***")
    if len(secret) >= 12:  # servers often echo a shortened key ("sk-abc...wxyz")
        text = text.replace(secret[:8], "***").replace(secret[-6:], "***")
    return text


# What may follow a priced name and still be the same model: a date or version snapshot, "-preview".
# Anything else ("-nano", "-turbo", ".5") is another model with another price.
VERSION_SUFFIX = re.compile(r"(-(\d{4}-\d{2}-\d{2}|\d{4}|\d{8}|preview|latest))+")


def price_for(model: str, prices: dict[str, dict[str, float]] | None = None) -> dict[str, float] | None:
    """The price entry for a model: exact name, else a known name plus a version suffix ("-2024-07-18")."""
    table = prices if prices is not None else DEFAULT_PRICES
    if model in table:
        return table[model]
    matches = [name for name in table
               if model.startswith(name) and VERSION_SUFFIX.fullmatch(model[len(name):])]
    return table[max(matches, key=len)] if matches else None


def cost_usd(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    prices: dict[str, dict[str, float]] | None = None,
    batch: bool = False,
) -> float | None:
    """Estimated cost in USD, or None when the model has no price in the table."""
    price = price_for(model, prices)
    if price is None:
        return None
    cost = (
        prompt_tokens * float(price.get("input", 0)) + completion_tokens * float(price.get("output", 0))
    ) / 1e6
    return round(cost * (BATCH_DISCOUNT if batch else 1.0), 6)


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    prefix = f"HTTP {status}: " if status else f"{type(exc).__name__}: "
    return prefix + message[:300]


class LLMClient:
    """Asks the teacher model; one instance per run (it remembers when a server refuses JSON mode)."""

    def __init__(self, settings: LLMSettings, api_key: str | None = None) -> None:
        import openai

        self.settings = settings
        self.policy = settings.retry_policy()
        self._key = resolve_api_key(api_key)
        self._openai = openai
        self.client = openai.AsyncOpenAI(
            base_url=settings.base_url, api_key=self._key, max_retries=0, timeout=settings.timeout
        )
        self.json_mode_refused = False
        self.requests_sent = 0
        self.answered = 0

    def safe(self, text: str) -> str:
        return redact(text, self._key)

    def request_params(self, json_answer: bool) -> dict[str, Any]:
        """The sampling parameters that go into a request (and into the cache key)."""
        params: dict[str, Any] = {
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        if json_answer and self.settings.json_mode:
            params["response_format"] = {"type": "json_object"}
        return params

    def _refused_json_mode(self, exc: Exception, params: dict) -> bool:
        # Servers without JSON mode answer 400/422/501 naming the parameter; other 400s are real errors.
        status = getattr(exc, "status_code", None)
        text = _describe(exc).lower()
        named = "response_format" in text or "json" in text
        return "response_format" in params and status in (400, 404, 415, 422, 501) and named

    async def complete(self, messages: list[dict], params: dict[str, Any]) -> Completion:
        """One answer under the run's retry policy; raises LLMRequestError when it gives up."""
        params = dict(params)
        if self.json_mode_refused:
            params.pop("response_format", None)
        tries = 0

        def count(attempt: int) -> None:
            nonlocal tries
            tries = attempt

        async def ask() -> Any:
            nonlocal params
            try:
                return await self._post(messages, params)
            except Exception as exc:
                if not self._refused_json_mode(exc, params):
                    raise
                # The server does not do JSON mode: ask again without it (the prompt still asks for JSON).
                self.json_mode_refused = True
                params = {key: value for key, value in params.items() if key != "response_format"}
                return await self._post(messages, params)

        try:
            response = await self.policy.call_async(ask, on_attempt=count)
        except Exception as exc:  # the openai client's errors, and JSON errors from broken servers
            error = self.safe(_describe(exc))
            if self._setup_problem(exc):
                raise LLMSetupError(error) from None
            unreachable = isinstance(exc, self._openai.APIConnectionError) and not isinstance(
                exc, self._openai.APITimeoutError)
            if unreachable and not self.answered:
                raise LLMSetupError(f"cannot reach {self.settings.base_url} ({error})") from None
            raise LLMRequestError(f"gave up after {tries} attempt(s): {error}") from None
        completion = self._completion(response, tries, "response_format" in params)
        self.answered += 1
        return completion

    async def _post(self, messages: list[dict], params: dict[str, Any]) -> Any:
        self.requests_sent += 1
        # The client's own POST (same auth, errors and parsing as chat.completions.create) without the
        # per-call typed-parameter transform, which costs more CPU than the rest of a request.
        return await self.client.post(
            "/chat/completions",
            cast_to=self._openai.types.chat.ChatCompletion,
            body={"model": self.settings.model, "messages": messages, **params},
        )

    def _setup_problem(self, exc: Exception) -> bool:
        """401/403 (key), or 404 naming the model: no other document would fare better."""
        status = getattr(exc, "status_code", None)
        if status in (401, 403):
            return True
        return status == 404 and "model" in _describe(exc).lower()

    def _completion(self, response: Any, attempts: int, json_mode: bool) -> Completion:
        if not getattr(response, "choices", None):
            raise LLMRequestError(self.safe(f"the server answered without choices: {str(response)[:200]}"))
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        return Completion(
            content=(choice.message.content or "") if choice.message else "",
            finish_reason=choice.finish_reason or "stop",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            attempts=attempts,
            json_mode=json_mode,
        )

    async def close(self) -> None:
        await self.client.close()


def check_connection(settings: LLMSettings, api_key: str | None = None) -> list[str]:
    """The model names the server offers (GET /models); a ChemtuneError naming the problem otherwise."""
    import openai

    key = resolve_api_key(api_key)
    client = openai.OpenAI(base_url=settings.base_url, api_key=key, max_retries=0, timeout=10)
    try:
        return [model.id for model in client.models.list().data]
    except Exception as exc:
        raise ChemtuneError(f"Cannot reach {settings.base_url}: {redact(_describe(exc), key)}",
                            ko=f"{settings.base_url}에 연결할 수 없습니다: "
                               f"{redact(_describe(exc), key)}") from None
