"""One retry rule for every call to an LLM server: generation, endpoint evaluation and remote chat.

A request is tried again when the failure is passing (a timeout, a dropped connection, 429, 408, 409, a
5xx, an answer that is not JSON); anything else (400, 401, 404 …) is raised at once, since asking again
would get the same answer. Between tries the rule waits what the server asked for (Retry-After), else an
exponential backoff with jitter, never longer than `max_wait_s`. What differs between the callers is only
the numbers: a generation job can wait a minute for a rate limit, a chat turn has a person waiting.
The `openai` clients are made with `max_retries=0`, so this is the only place that retries.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
RETRIED_STATUS = (408, 409, 429)


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries a request gets and how long to wait between them."""

    attempts: int = 5
    backoff_s: float = 1.0  # the first wait; doubles each try
    max_wait_s: float = 60.0  # the longest wait, Retry-After included
    jitter: float = 0.25  # each backoff is ±this share, so parallel requests do not retry in step

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_wait_s)
        base = self.backoff_s * (2 ** (attempt - 1))
        return min(base * (1 - self.jitter + 2 * self.jitter * random.random()), self.max_wait_s)

    def call(self, request: Callable[[], T], *, on_attempt: Callable[[int], None] | None = None,
             sleep: Callable[[float], None] = time.sleep) -> T:
        """`request()`, tried again on passing failures; the last failure is raised as it was."""
        for attempt in range(1, self.attempts + 1):
            if on_attempt:
                on_attempt(attempt)
            try:
                return request()
            except Exception as exc:
                if attempt >= self.attempts or not retryable(exc):
                    raise
                sleep(self.wait(attempt, retry_after(exc)))
        raise AssertionError("unreachable: attempts is at least 1")

    async def call_async(self, request: Callable[[], Awaitable[T]], *,
                         on_attempt: Callable[[int], None] | None = None) -> T:
        """The same rule for a coroutine."""
        for attempt in range(1, self.attempts + 1):
            if on_attempt:
                on_attempt(attempt)
            try:
                return await request()
            except Exception as exc:
                if attempt >= self.attempts or not retryable(exc):
                    raise
                await asyncio.sleep(self.wait(attempt, retry_after(exc)))
        raise AssertionError("unreachable: attempts is at least 1")


# A generation job runs unattended: many tries, long waits (LLMSettings can change them per run).
GENERATION = RetryPolicy(attempts=5, backoff_s=1.0, max_wait_s=60.0)
# An evaluation asks hundreds of questions; a question that keeps failing is scored as its error.
EVALUATION = RetryPolicy(attempts=3, backoff_s=1.0, max_wait_s=30.0)
# A chat turn is interactive: one more try after a short wait, then the person sees the error.
CHAT = RetryPolicy(attempts=2, backoff_s=0.5, max_wait_s=5.0)


def retryable(exc: BaseException) -> bool:
    """Whether asking again may succeed: timeouts, lost connections, 408/409/429, 5xx, broken answers."""
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError,
                        openai.APIResponseValidationError, json.JSONDecodeError)):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status >= 500 or status in RETRIED_STATUS)


def retry_after(exc: BaseException) -> float | None:
    """The server's Retry-After in seconds, when it sent one as a number."""
    response: Any = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; rare from LLM servers: the backoff applies
