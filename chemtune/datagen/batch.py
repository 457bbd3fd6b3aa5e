"""Large jobs through the OpenAI Batch API: one request line per document (custom_id names it), upload,
create the batch, poll until it ends, then collect answers by custom_id into the same validation path
as live requests. Answers go into the response cache, and the batch id is kept in the run folder, so a
restarted job resumes polling instead of paying twice. The Batch API has no JSON-mode fallback: a server
that refuses `response_format` fails those lines (run live instead).
"""

from __future__ import annotations

import io
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
STATE_FILE = "batch.json"


def request_lines(items: list[tuple[str, list[dict], dict]], model: str) -> bytes:
    """The batch input file: one JSON line per (custom_id, messages, params)."""
    lines = [{"custom_id": custom_id, "method": "POST", "url": ENDPOINT,
              "body": {"model": model, "messages": messages, **params}}
             for custom_id, messages, params in items]
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")


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


def answer_documents_batch(
    docs: list[Document],
    config: GenerateConfig,
    api_key: str | None = None,
    run_dir: Path | str | None = None,
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
    pending: dict[str, int] = {}
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
            pending[f"doc-{index}-{item.doc.id}"] = index
    if pending:
        stats.requests_sent = len(pending)
        client = openai.OpenAI(
            base_url=config.llm.base_url, api_key=key, max_retries=3, timeout=config.llm.timeout_s
        )
        try:
            results = _run_batch(client, pending, prepared, config, run_dir, stats, progress, should_stop)
        except openai.OpenAIError as exc:
            raise ChemtuneError(redact(f"Batch API error: {exc}", key)) from None
        for custom_id, index in pending.items():
            item, answer = prepared[index], results.get(custom_id)
            if answer is None:
                outcomes[index] = _failed(item, task, "the batch returned no answer for this document", None)
            elif "error" in answer:
                outcomes[index] = _failed(item, task, redact(answer["error"], key), None)
            else:
                stats.prompt_tokens += answer["prompt_tokens"]
                stats.completion_tokens += answer["completion_tokens"]
                answer["model"] = config.llm.model
                outcomes[index] = judge(item, task, lang, answer, config.llm.model)
                cache.keep_if(item.key, answer, outcomes[index].record is not None)
    final = [outcome for outcome in outcomes if outcome is not None]
    stats.succeeded = sum(outcome.record is not None for outcome in final)
    stats.failed = len(final) - stats.succeeded
    if progress:
        progress(stats)
    return final, stats


def _run_batch(
    client: Any,
    pending: dict[str, int],
    prepared: list,
    config: GenerateConfig,
    run_dir: Path | str | None,
    stats: Stats,
    progress: Callable[[Stats], None] | None,
    should_stop: Callable[[], bool] | None,
) -> dict[str, dict[str, Any]]:
    state_file = Path(run_dir) / STATE_FILE if run_dir else None
    state = workspace.read_json(state_file, {}) if state_file else {}
    if not state or sorted(state.get("custom_ids", [])) != sorted(pending):
        items = [
            (custom_id, prepared[index].messages, prepared[index].params)
            for custom_id, index in pending.items()
        ]
        data = request_lines(items, config.llm.model)
        if run_dir:
            (Path(run_dir) / "batch_requests.jsonl").write_bytes(data)
        uploaded = client.files.create(file=("batch_requests.jsonl", io.BytesIO(data)), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"source": "chemtune"},
        )
        state = {"batch_id": batch.id, "input_file_id": uploaded.id, "custom_ids": list(pending)}
        if state_file:
            workspace.write_json(state_file, state)
    batch = client.batches.retrieve(state["batch_id"])
    while batch.status not in ENDED:
        if should_stop and should_stop():
            client.batches.cancel(batch.id)
            from chemtune.jobs import JobAborted

            raise JobAborted()
        counts = batch.request_counts
        if progress and counts is not None:
            stats.succeeded, stats.failed = counts.completed, counts.failed
            progress(stats)
        time.sleep(config.batch_poll_s)
        batch = client.batches.retrieve(batch.id)
    results: dict[str, dict[str, Any]] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            results.update(parse_results(client.files.content(file_id).text))
    if batch.status != "completed" and not results:
        raise ChemtuneError(f"The batch {batch.id} ended as {batch.status!r} without answers.")
    return results
