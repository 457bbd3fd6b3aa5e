"""Large jobs through the OpenAI Batch API: one request line per distinct question (custom_id is its cache
key), upload, create the batch, poll until it ends, then collect answers into the same validation path as
live requests. Answers go into the response cache, and each batch's id is kept in
`$CHEMTUNE_HOME/cache/batches/`, named by the content it asks, so any rerun (CLI or job, any run folder)
resumes polling instead of paying twice. A saved batch that ended cancelled, failed or expired gives up
the answers it has and the rest go into a new batch. The Batch API has no JSON-mode fallback: a server that
refuses `response_format` fails those lines (run live instead).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chemtune import workspace
from chemtune.datagen.cache import ResponseCache
from chemtune.datagen.client import LLMClient, redact, resolve_api_key
from chemtune.datagen.pipeline import GenerateConfig, Outcome, Stats, _failed, judge, prepare, resolve_task
from chemtune.datagen.sources import Document
from chemtune.errors import ChemtuneError

ENDPOINT = "/v1/chat/completions"
ENDED = ("completed", "failed", "expired", "cancelled")
DEAD = ("failed", "expired", "cancelled")
# The Batch API's limits per batch (input lines, input file size); module constants so tests can lower them.
MAX_BATCH_REQUESTS = 50_000
MAX_BATCH_BYTES = 200_000_000
CANCEL_WAIT_S = 120.0  # how long an abort waits for a cancelled batch to hand over its answers


def request_lines(items: list[tuple[str, list[dict], dict]], model: str) -> bytes:
    """The batch input file: one JSON line per (custom_id, messages, params)."""
    return b"".join(_request_line(custom_id, messages, params, model)
                    for custom_id, messages, params in items)


def _request_line(custom_id: str, messages: list[dict], params: dict, model: str) -> bytes:
    line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT,
            "body": {"model": model, "messages": messages, **params}}
    return (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")


def split_batches(lines: list[tuple[str, bytes]], max_requests: int | None = None,
                  max_bytes: int | None = None) -> list[list[tuple[str, bytes]]]:
    """Group (custom_id, line) pairs into batch files within the per-batch line and byte limits."""
    max_requests = max_requests or MAX_BATCH_REQUESTS
    max_bytes = max_bytes or MAX_BATCH_BYTES
    groups: list[list[tuple[str, bytes]]] = []
    size = 0
    for custom_id, line in lines:
        if len(line) > max_bytes:
            raise ChemtuneError(
                f"One request is {len(line)} bytes, over the Batch API's {max_bytes} per file.",
                ko=f"요청 하나가 {len(line)}바이트로, Batch API의 파일당 한도 {max_bytes}바이트를 넘습니다."
            )
        if not groups or len(groups[-1]) >= max_requests or size + len(line) > max_bytes:
            groups.append([])
            size = 0
        groups[-1].append((custom_id, line))
        size += len(line)
    return groups


def parse_results(text: str) -> dict[str, dict[str, Any]]:
    """custom_id → {"content", "finish_reason", tokens} for answered lines, or {"error": reason}."""
    results: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        custom_id = row.get("custom_id")
        response = row.get("response") or {}
        body = response.get("body") or {}
        if row.get("error") or response.get("status_code", 200) != 200 or not body.get("choices"):
            error = row.get("error") or (body.get("error") if isinstance(body, dict) else None) or {}
            message = error.get("message") if isinstance(error, dict) else str(error)
            results[custom_id] = {
                "error": f"HTTP {response.get('status_code', '?')}: {message or 'no answer'}"
            }
            continue
        choice, usage = body["choices"][0], body.get("usage") or {}
        results[custom_id] = {
            "content": (choice.get("message") or {}).get("content") or "",
            "finish_reason": choice.get("finish_reason") or "stop",
            "prompt_tokens": int(usage.get("prompt_tokens") or 0),
            "completion_tokens": int(usage.get("completion_tokens") or 0),
        }
    return results


def state_dir() -> Path:
    """Where the ids of submitted batches are kept, for any rerun to find."""
    return workspace.home() / "cache" / "batches"


def state_name(model: str, params: dict, keys: list[str]) -> str:
    """A batch's state file name: SHA-256 of model + params + its sorted request keys."""
    blob = json.dumps({"model": model, "params": params, "keys": sorted(keys)}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest() + ".json"


def answer_documents_batch(
    docs: list[Document],
    config: GenerateConfig,
    api_key: str | None = None,
    progress: Callable[[Stats], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[list[Outcome], Stats]:
    """Answer every document through the Batch API (cached answers are not sent)."""
    import openai

    task, lang, _ = resolve_task(config)
    key = resolve_api_key(api_key)
    cache = ResponseCache()
    params = LLMClient(config.llm, key).request_params(task.json_answer)
    stats = Stats(requested=len(docs))
    outcomes: list[Outcome | None] = [None] * len(docs)
    pending: dict[str, list[int]] = {}  # request key → documents asking it (identical texts ask once)
    prepared = [prepare(doc, task, lang, config, params) for doc in docs]
    for index, item in enumerate(prepared):
        if not item.doc.text.strip():
            outcomes[index] = _failed(item, task, "the document is empty", None)
        elif (answer := cache.get(item.key)) is not None:
            outcomes[index] = judge(item, task, lang, answer, config.llm.model)
            outcomes[index].cached = True
            cache.keep_if(item.key, answer, outcomes[index].record is not None)
            stats.cached += 1
        else:
            pending.setdefault(item.key, []).append(index)

    def take(results: dict[str, dict[str, Any]]) -> None:
        """Judge and cache the answers of a finished (or cancelled) batch."""
        for request_key, answer in results.items():
            for index in pending.get(request_key, []):
                item = prepared[index]
                if outcomes[index] is not None:
                    continue
                if "error" in answer:
                    outcomes[index] = _failed(item, task, redact(answer["error"], key), None)
                    continue
                stats.prompt_tokens += answer["prompt_tokens"]
                stats.completion_tokens += answer["completion_tokens"]
                outcomes[index] = judge(item, task, lang, {**answer, "model": config.llm.model},
                                        config.llm.model)
                cache.keep_if(item.key, answer | {"model": config.llm.model},
                              outcomes[index].record is not None)

    if pending:
        client = _Retried(openai.OpenAI(base_url=config.base_url, api_key=key, max_retries=0,
                                        timeout=config.timeout), config.llm.retry_policy())
        try:
            ended = _run_batches(
                client, pending, prepared, params, config, stats, take, progress, should_stop
            )
        except openai.OpenAIError as exc:
            raise ChemtuneError(redact(f"Batch API error: {exc}", key),
                                ko=redact(f"Batch API 오류: {exc}", key)) from None
        for indexes in pending.values():
            for index in indexes:
                if outcomes[index] is None:
                    reason = f"the batch ended as {ended!r} without an answer for this document" if ended \
                        else "the batch returned no answer for this document"
                    outcomes[index] = _failed(prepared[index], task, reason, None)
    final = [outcome for outcome in outcomes if outcome is not None]
    stats.succeeded = sum(outcome.record is not None for outcome in final)
    stats.failed = len(final) - stats.succeeded
    if progress:
        progress(stats)
    return final, stats


def _saved_batches(base_url: str) -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(state_dir().glob("*.json")):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a damaged state is forgotten; its answers may be asked again
        if isinstance(state, dict) and state.get("base_url") == base_url and state.get("batch_id"):
            found.append((path, state))
    return found


class _Retried:
    """An openai client whose every call (files, batches) follows the run's retry rule (chemtune.retry)."""

    def __init__(self, target: Any, policy: Any) -> None:
        self._target, self._policy = target, policy

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value):
            return lambda *args, **kwargs: self._policy.call(lambda: value(*args, **kwargs))
        return _Retried(value, self._policy)


def _answers_of(client: Any, batch: Any) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            results.update(parse_results(client.files.content(file_id).text))
    return results


def _run_batches(
    client: Any,
    pending: dict[str, list[int]],
    prepared: list,
    params: dict,
    config: GenerateConfig,
    stats: Stats,
    take: Callable[[dict[str, dict[str, Any]]], None],
    progress: Callable[[Stats], None] | None,
    should_stop: Callable[[], bool] | None,
) -> str | None:
    """Resume saved batches that ask pending questions, submit the rest, poll until all end.

    Returns the status of a batch of this run that ended other than completed, if any."""
    import openai

    base_url = str(config.llm.base_url)
    remaining = set(pending)
    active: list[tuple[Path, Any]] = []
    for path, state in _saved_batches(base_url):
        asked = remaining & set(state.get("keys") or [])
        if not asked:
            continue
        try:
            batch = client.batches.retrieve(state["batch_id"])
        except openai.NotFoundError:
            path.unlink(missing_ok=True)
            continue
        if batch.status in DEAD:
            # Keep what it answered (paid for); what it did not answer goes into a new batch.
            answers = _answers_of(client, batch).items()
            answered = {k: a for k, a in answers if k in asked and "error" not in a}
            take(answered)
            remaining -= set(answered)
            path.unlink(missing_ok=True)
            continue
        active.append((path, batch))
        remaining -= asked

    lines = [(k, _request_line(k, prepared[pending[k][0]].messages, prepared[pending[k][0]].params,
                               config.llm.model)) for k in pending if k in remaining]
    for group in split_batches(lines):
        data = b"".join(line for _, line in group)
        uploaded = client.files.create(file=("batch_requests.jsonl", data), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
            metadata={"source": "chemtune"},
        )
        keys = [k for k, _ in group]
        path = state_dir() / state_name(config.llm.model, params, keys)
        workspace.write_json(path, {"batch_id": batch.id, "input_file_id": uploaded.id, "base_url": base_url,
                                    "model": config.llm.model, "keys": keys})
        stats.requests_sent += len(group)
        active.append((path, batch))

    unfinished: str | None = None
    answered_any = False
    while active:
        if should_stop and should_stop():
            _cancel_and_keep(client, active, take, config)
        still = []
        for path, batch in active:
            batch = client.batches.retrieve(batch.id)
            if batch.status in ENDED:
                results = _answers_of(client, batch)
                take(results)
                path.unlink(missing_ok=True)
                answered_any = answered_any or bool(results)
                if batch.status != "completed":
                    unfinished = batch.status
            else:
                still.append((path, batch))
        active = still
        if active:
            counts = [b.request_counts for _, b in active if b.request_counts is not None]
            if progress and counts:
                stats.succeeded = sum(c.completed for c in counts)
                stats.failed = sum(c.failed for c in counts)
                progress(stats)
            time.sleep(config.batch_poll_s)
    if unfinished and not answered_any:
        raise ChemtuneError(f"The batch ended as {unfinished!r} without answers; a rerun starts a new one.",
                            ko=f"배치가 답 없이 {unfinished!r} 상태로 끝났습니다; 다시 실행하면 새 배치를 "
                               "시작합니다.")
    return unfinished


def _cancel_and_keep(
    client: Any, active: list[tuple[Path, Any]], take: Callable, config: GenerateConfig
) -> None:
    """Abort: cancel every batch, wait (bounded) until each says cancelled, cache what they answered."""
    from chemtune.jobs import JobAborted

    for _, batch in active:
        client.batches.cancel(batch.id)
    deadline = time.monotonic() + CANCEL_WAIT_S
    waiting = list(active)
    while waiting and time.monotonic() < deadline:
        left = []
        for path, batch in waiting:
            batch = client.batches.retrieve(batch.id)
            if batch.status in ENDED:
                take(_answers_of(client, batch))
                path.unlink(missing_ok=True)
            else:
                left.append((path, batch))
        waiting = left
        if waiting:
            time.sleep(min(config.batch_poll_s, 5.0))
    # A batch still cancelling keeps its state file: the next run collects its answers.
    raise JobAborted()
