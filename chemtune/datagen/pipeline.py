"""The generation pipeline: documents → teacher answers → validated records, failures with reasons.

Every document ends up either as a record or as a line of failures.jsonl (with the raw answer and the
reason); duplicates removed afterwards are written there too, marked `"kind": "duplicate"`. So
`requested == succeeded + failed + deduplicated` always holds. Answers come from the response cache
when the same request was answered before, which makes a rerun after a crash free.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from chemtune import workspace
from chemtune.datagen.cache import ResponseCache, cache_key
from chemtune.datagen.client import (
    DEFAULT_PRICES,
    LLMClient,
    LLMRequestError,
    LLMSetupError,
    cost_usd,
)
from chemtune.datagen.config import GenerateConfig
from chemtune.datagen.sources import Document
from chemtune.datagen.tasks import Task, get_task, property_params, validate_answer
from chemtune.errors import ChemtuneError
from chemtune.prompting import user_content
from chemtune.records import FAILURES_FILE, Record, detect_lang, record_id, save_dataset

SNIPPET = 160
TICK_S = 0.5


@dataclass
class Prepared:
    """A document with the request it becomes."""

    doc: Document
    instruction: str
    input: str
    system: str | None
    messages: list[dict]
    params: dict[str, Any]
    key: str


@dataclass
class Outcome:
    doc: Document
    record: Record | None = None
    failure: dict | None = None
    cached: bool = False
    raw: str | None = None


@dataclass
class Stats:
    requested: int = 0
    succeeded: int = 0
    failed: int = 0
    cached: int = 0
    deduplicated: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests_sent: int = 0
    started: float = field(default_factory=time.time)

    @property
    def done(self) -> int:
        return self.succeeded + self.failed


def resolve_task(config: GenerateConfig) -> tuple[Task, str, dict[str, Any]]:
    task = get_task(config.task)
    lang = config.lang or task.default_lang
    if lang not in ("en", "ko"):
        raise ChemtuneError(f"Language {lang!r}: use 'en' or 'ko'.",
                            ko=f"언어 {lang!r}: 'en' 또는 'ko'를 쓰세요.")
    params = property_params(config.property) if config.property else {}
    if config.property and task.name != "extract_property":
        raise ChemtuneError("A property is only chosen for the extract_property task.",
                            ko="속성(property)은 extract_property 작업에서만 고릅니다.")
    # The chosen property shapes both the prompt and the validator, so it travels inside the task.
    task = replace(task, params={**task.params, **params})
    return task, lang, params


def prepare(doc: Document, task: Task, lang: str, config: GenerateConfig, client_params: dict) -> Prepared:
    """The teacher's messages for one document, and its cache key."""
    edited = (config.instruction or "").strip()
    instruction = edited or task.instruction_text(lang, task.params)
    system = task.system_text(lang)
    if task.document_as == "instruction":
        # The document is the question; an edited instruction then guides the answer as the system prompt.
        record_instruction, record_input = doc.text, ""
        if edited:
            system = f"{system}\n\n{edited}" if system else edited
    else:
        record_instruction, record_input = instruction, doc.text
    messages = ([{"role": "system", "content": system}] if system else [])
    messages.append({"role": "user", "content": user_content(record_instruction, record_input)})
    return Prepared(doc, record_instruction, record_input, system, messages, client_params,
                    cache_key(config.llm.model, messages, client_params))


def judge(prepared: Prepared, task: Task, lang: str, answer: dict, model: str) -> Outcome:
    """Turn a server answer (content, finish_reason) into a record or a failure with its reason."""
    doc, content = prepared.doc, answer.get("content") or ""
    finish = answer.get("finish_reason") or "stop"
    if finish == "length":
        return _failed(prepared, task, "answer truncated (finish_reason 'length'); raise the answer length "
                                       "limit (max_tokens)", content, finish)
    if finish == "content_filter":
        return _failed(prepared, task, "answer withheld by the server's content filter", content, finish)
    try:
        output, reason = validate_answer(task, content)
    except Exception as exc:  # a validator must never lose a document
        output, reason = None, f"answer could not be checked ({type(exc).__name__}: {exc})"
    if reason:
        return _failed(prepared, task, reason, content, finish)
    record = Record(
        id=record_id(task.name, prepared.instruction, prepared.input, output or ""),
        task=task.name, lang=task.output_lang or detect_lang(f"{prepared.input}\n{output}"),
        system=prepared.system, instruction=prepared.instruction,
        input=prepared.input, output=output, source=doc.source or None,
        meta={"doc_id": doc.id, "model": model})
    return Outcome(doc, record=record, raw=content)


def _failed(
    prepared: Prepared, task: Task, reason: str, raw: str | None, finish: str | None = None
) -> Outcome:
    doc = prepared.doc
    failure = {
        "kind": "generation",
        "doc_id": doc.id,
        "source": doc.source,
        "task": task.name,
        "reason": reason,
        "raw": raw,
        "finish_reason": finish,
        "input": doc.text,
    }
    return Outcome(doc, failure=failure, raw=raw)


async def answer_documents(
    docs: list[Document],
    config: GenerateConfig,
    api_key: str | None = None,
    on_outcome: Callable[[Outcome, Stats], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    cache: ResponseCache | None = None,
    on_tick: Callable[[Stats], None] | None = None,
) -> tuple[list[Outcome], Stats]:
    """Ask the teacher about every document (cached answers first), `concurrency` requests at a time."""
    task, lang, _ = resolve_task(config)
    cache = cache or ResponseCache()
    client = LLMClient(config.llm, api_key)
    stats = Stats(requested=len(docs))
    outcomes: list[Outcome | None] = [None] * len(docs)
    setup_error: list[str] = []  # a refused key or unknown model stops the whole run
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(docs)):
        queue.put_nowait(index)

    def finish(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if outcome.record is not None:
            stats.succeeded += 1
        else:
            stats.failed += 1
        stats.cached += outcome.cached
        if on_outcome:
            on_outcome(outcome, stats)

    async def one(index: int) -> None:
        doc = docs[index]
        prepared = prepare(doc, task, lang, config, client.request_params(task.json_answer))
        if not doc.text.strip():
            return finish(index, _failed(prepared, task, "the document is empty", None))
        answer = cache.get(prepared.key)
        cached = answer is not None
        if answer is None:
            try:
                completion = await client.complete(prepared.messages, prepared.params)
            except LLMSetupError as exc:
                setup_error.append(str(exc))
                outcomes[index] = None
                return None
            except LLMRequestError as exc:
                return finish(index, _failed(prepared, task, client.safe(str(exc)), None))
            stats.prompt_tokens += completion.prompt_tokens
            stats.completion_tokens += completion.completion_tokens
            answer = {
                "content": completion.content,
                "finish_reason": completion.finish_reason,
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "model": config.llm.model,
            }
        outcome = judge(prepared, task, lang, answer, config.llm.model)
        outcome.cached = cached
        cache.keep_if(prepared.key, answer, outcome.record is not None)
        finish(index, outcome)

    async def worker() -> None:
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if setup_error or (should_stop and should_stop()):
                return
            await one(index)

    async def ticker() -> None:
        # Progress between answers too, so a throttled reporter never leaves stale counts on screen.
        while True:
            await asyncio.sleep(TICK_S)
            stats.requests_sent = client.requests_sent
            on_tick(stats)

    ticking = asyncio.create_task(ticker()) if on_tick else None
    try:
        await asyncio.gather(*(worker() for _ in range(min(config.concurrency, max(1, len(docs))))))
    finally:
        if ticking:
            ticking.cancel()
        stats.requests_sent = client.requests_sent
        await client.close()
    if setup_error:
        raise ChemtuneError(f"The LLM server refused the request: {setup_error[0]}. Check the base URL, "
                            "the model name and the API key; answers received so far are cached.",
                            ko=f"LLM 서버가 요청을 거부했습니다: {setup_error[0]}. 기본 URL, 모델 이름, API "
                               "키를 확인하세요; 지금까지 받은 답은 캐시되어 있습니다.")
    if should_stop and should_stop() and any(outcome is None for outcome in outcomes):
        from chemtune.jobs import JobAborted

        raise JobAborted()
    return [outcome for outcome in outcomes if outcome is not None], stats


def run_coroutine(coroutine: Any) -> Any:
    """asyncio.run, also from a thread whose event loop is already running (a notebook, an async app):
    the coroutine then runs on its own loop in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def preview(
    docs: list[Document], config: GenerateConfig, api_key: str | None = None, n: int = 3
) -> list[dict[str, Any]]:
    """Run the first `n` documents and return one table row each: source | instruction | output | valid."""
    outcomes, _ = run_coroutine(answer_documents(docs[:n], config, api_key))
    rows = []
    for outcome in outcomes:
        record, failure = outcome.record, outcome.failure
        rows.append(
            {
                "source": _snippet(outcome.doc.text),
                "instruction": _snippet(
                    record.instruction if record else (config.instruction or config.task), 300
                ),
                "output": record.output if record else (failure or {}).get("raw") or "",
                "valid": record is not None,
                "reason": "" if record else (failure or {}).get("reason", ""),
            }
        )
    return rows


def _snippet(text: str, size: int = SNIPPET) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


def generate_dataset(
    name: str,
    docs: list[Document],
    config: GenerateConfig,
    api_key: str | None = None,
    progress: Callable[[Stats], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    overwrite: bool = False,
    run_dir: Any = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Generate, validate, dedupe and save dataset `name`; returns the summary the CLI prints."""
    from chemtune.datagen.dedup import dedup_records

    workspace.check_name(name, "dataset name")
    target = workspace.folder("datasets", name)
    if (target / "records.jsonl").exists() and not overwrite:
        raise ChemtuneError(f"A dataset named {name!r} already exists; choose another name.",
                            ko=f"{name!r}라는 데이터셋이 이미 있습니다; 다른 이름을 고르세요.")
    task, lang, _ = resolve_task(config)
    if config.batch_api:
        from chemtune.datagen.batch import answer_documents_batch

        outcomes, stats = answer_documents_batch(
            docs, config, api_key, progress=progress, should_stop=should_stop
        )
    else:
        outcomes, stats = run_coroutine(
            answer_documents(
                docs,
                config,
                api_key,
                on_outcome=(lambda _o, s: progress(s)) if progress else None,
                should_stop=should_stop,
                on_tick=progress,
            )
        )
    records = [outcome.record for outcome in outcomes if outcome.record is not None]
    failures = [outcome.failure for outcome in outcomes if outcome.failure is not None]
    duplicates = []
    if config.dedup and records:
        records, duplicates = dedup_records(records, config.dedup_threshold)
        for dup in duplicates:
            meta = dup.record.meta or {}
            failures.append(
                {
                    "kind": "duplicate",
                    "doc_id": meta.get("doc_id"),
                    "source": dup.record.source,
                    "task": dup.record.task,
                    "reason": dup.reason,
                    "raw": dup.record.output,
                    "finish_reason": "stop",
                    "input": dup.record.input or dup.record.instruction,
                    "duplicate_of": dup.kept_id,
                    "similarity": dup.similarity,
                }
            )
    stats.deduplicated = len(duplicates)
    stats.succeeded -= len(duplicates)
    cost = cost_usd(
        config.llm.model, stats.prompt_tokens, stats.completion_tokens, config.prices, batch=config.batch_api
    )
    summary = {
        "dataset": name,
        "requested": stats.requested,
        "succeeded": stats.succeeded,
        "failed": stats.failed,
        "cached": stats.cached,
        "deduplicated": stats.deduplicated,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "cost_usd": cost,
    }
    meta = {
        "origin": "generate",
        "task": task.name,
        "instruction_lang": lang,
        "source": source,
        "generation": json.loads(config.model_dump_json()),
        "usage": {
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
            "requests_sent": stats.requests_sent,
            "cached_answers": stats.cached,
        },
        "cost_usd": cost,
        "prices": config.prices or DEFAULT_PRICES,
        "summary": summary,
        "dedup": {"enabled": config.dedup, "threshold": config.dedup_threshold, "removed": len(duplicates)},
        "seconds": round(time.time() - stats.started, 2),
    }
    folder = save_dataset(name, records, meta, overwrite=overwrite)
    lines = "".join(json.dumps(failure, ensure_ascii=False) + "\n" for failure in failures)
    workspace.write_text_atomic(folder / FAILURES_FILE, lines)
    return {**summary, "path": str(folder), "requests_sent": stats.requests_sent}


def stats_dict(stats: Stats, config: GenerateConfig) -> dict[str, Any]:
    """Live counts for progress events (tokens, cost so far: at the Batch API's price when it is used)."""
    data = asdict(stats)
    data.pop("started", None)
    data["cost_usd"] = cost_usd(config.llm.model, stats.prompt_tokens, stats.completion_tokens, config.prices,
                                batch=config.batch_api)
    data["elapsed_s"] = round(time.time() - stats.started, 1)
    return data
