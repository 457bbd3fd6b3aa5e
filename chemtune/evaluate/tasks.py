"""The task benchmark (`tasks:DATASET`): a model scored on what it was tuned for, per generation task.

The records scored are held-out instruction records:

- `tasks:DATASET`: every record of a dataset kept as a test set (`tasks:sample` is the bundled one);
- `tasks:RUN_ID`: the validation records a train run held out (never trained on), from all its datasets;
- `tasks:DATASET@RUN_ID`: those of one of its datasets.

A run's held-out records are found by repeating its split (`chemtune.train.data.split_and_mix` with the
run's datasets, `val_split` and `seed`), so they are exactly the ones it did not train on. Each record is
asked as training taught the model (`chemtune.prompting`), answered greedily (a local model) or at
temperature 0 (an endpoint), and scored as its task declares (`chemtune.evaluate.task_metrics`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chemtune import prompting, records
from chemtune.datagen.tasks import Task, all_tasks
from chemtune.errors import ChemtuneError
from chemtune.evaluate import task_metrics

PREFIX = "tasks:"
METRICS = ("valid_json", "schema_valid", "field_f1", "chrf", "rouge_l", "judge")
# Options of an eval job this benchmark reads, with the defaults used when a caller leaves one out.
DEFAULTS: dict[str, Any] = {
    "method": "generate", "adapter": None, "device": "auto", "trust_remote_code": False, "base_url": None,
    "api_key_env": "OPENAI_API_KEY", "max_new_tokens": 256, "batch_size": 8, "concurrency": 4, "limit": None,
    "label": None, "judge_base_url": None, "judge_model": None, "judge_api_key_env": "OPENAI_API_KEY",
}


def is_task_benchmark(spec: Any) -> bool:
    return isinstance(spec, str) and spec.startswith(PREFIX)


@dataclass
class TaskSet:
    """The records a task benchmark scores and where they come from."""

    name: str
    records: list[records.Record]
    source: str


def held_out_records(run_id: str, dataset: str | None = None) -> list[records.Record]:
    """The validation records train run `run_id` held out, of all its datasets or of `dataset`."""
    from chemtune import jobs
    from chemtune.train import data
    from chemtune.train.config import make_config

    run = jobs.run_folder(run_id)
    values = {k: v for k, v in run.config().items() if k not in ("kind", "resume")}
    config = make_config(values, where=f"train run {run_id}")
    sources = data.load_sources(config.data)
    _, val, per_dataset = data.split_and_mix(sources, config.val_split, config.seed)
    if dataset is not None and dataset not in per_dataset:
        raise ChemtuneError(f"Train run {run_id} did not train on dataset {dataset!r}; it used "
                            f"{', '.join(per_dataset)}.",
                            ko=f"학습 실행 {run_id}은(는) 데이터셋 {dataset!r}로 학습하지 않았습니다; 사용한 "
                               f"데이터셋: {', '.join(per_dataset)}.")
    start, chosen = 0, []
    for name, counts in per_dataset.items():  # split_and_mix appends each dataset's held-out records in turn
        if dataset in (None, name):
            chosen += val[start:start + counts["val"]]
        start += counts["val"]
    if not chosen:
        raise ChemtuneError(f"Train run {run_id} held out no records (val_split {config.val_split}); name a "
                            "test dataset instead: tasks:DATASET.",
                            ko=f"학습 실행 {run_id}은(는) 따로 떼어 둔 레코드가 없습니다(val_split "
                               f"{config.val_split}); "
                               "대신 시험 데이터셋을 지정하세요: tasks:DATASET.")
    return chosen


def _is_train_run(name: str) -> bool:
    from chemtune import jobs

    try:
        run = jobs.run_folder(name)
    except ChemtuneError:
        return False
    return run.config().get("kind") == "train"


def task_benchmarks() -> list[tuple[str, str]]:
    """(benchmark, what it scores) for the task benchmarks the workspace offers, for a picker: the records
    each finished train run held out ("run", newest first), then each dataset ("dataset")."""
    from chemtune import jobs
    from chemtune.chat.adapters import trained_adapters

    found = []
    for row in trained_adapters():
        try:
            held_out = float(jobs.run_folder(row["run_id"]).config().get("val_split") or 0) > 0
        except (ChemtuneError, TypeError, ValueError):
            held_out = False
        if held_out:
            found.append((f"{PREFIX}{row['run_id']}", "run"))
    return found + [(f"{PREFIX}{row['name']}", "dataset") for row in records.list_datasets()]


def load_task_set(spec: str, limit: int | None = None) -> TaskSet:
    """The records of `tasks:DATASET`, `tasks:RUN_ID` or `tasks:DATASET@RUN_ID`; `limit` per task."""
    name = spec[len(PREFIX):].strip() if is_task_benchmark(spec) else str(spec)
    if not name:
        raise ChemtuneError("Name the records to score: tasks:DATASET, tasks:RUN_ID or tasks:DATASET@RUN_ID.",
                            ko="채점할 레코드를 지정하세요: tasks:DATASET, tasks:RUN_ID 또는 "
                               "tasks:DATASET@RUN_ID.")
    if "@" in name:
        dataset, run_id = name.split("@", 1)
        found, source = held_out_records(run_id, dataset), f"held out of {dataset} by train run {run_id}"
    elif _is_train_run(name):
        found, source = held_out_records(name), f"held out by train run {name}"
    else:
        found, source = records.load_dataset_records(name), f"dataset {name}"
    if limit:
        per_task: dict[str, int] = {}
        kept = []
        for record in found:
            per_task[record.task] = per_task.get(record.task, 0) + 1
            if per_task[record.task] <= limit:
                kept.append(record)
        found = kept
    if not found:
        raise ChemtuneError(f"{spec}: no records to score.",
                            ko=f"{spec}: 채점할 레코드가 없습니다.")
    return TaskSet(name, found, source)


def _task_of(record: records.Record, catalogue: dict[str, Task]) -> Task:
    # A record of a task the catalogue does not know is scored as free text.
    return catalogue.get(record.task) or Task(name=record.task, title={"en": record.task},
                                              instruction={"en": record.instruction})


def _label(config: dict) -> str:
    if config.get("label"):
        return str(config["label"])
    if config["method"] == "endpoint":
        return f"{config['model']} (endpoint)"
    adapter = config.get("adapter")
    if adapter:
        from chemtune.chat.adapters import adapter_name

        return f"{config['model']} + {adapter_name(str(adapter))}"
    return str(config["model"])


def answer_records(config: dict, items: list[records.Record], progress: Callable[[int], None],
                   should_stop: Callable[[], bool] | None, log: Callable[[str], None]) -> list[dict]:
    """(prompt, raw answer, error) per record, from a local model or an endpoint."""
    conversations = [prompting.record_messages(r.system, r.instruction, r.input) for r in items]
    if config["method"] == "endpoint":
        from chemtune.evaluate.scoring import ask_endpoint, endpoint_client

        key = os.environ.get(config["api_key_env"] or "") or None
        client = endpoint_client(config["base_url"], key)
        answers = ask_endpoint(client, config["model"], conversations, config["max_new_tokens"],
                               config["concurrency"], progress, should_stop)
        shown = [prompting.user_content(r.instruction, r.input) for r in items]
        return [{"prompt": text, "raw": raw, **({"error": error} if error else {})}
                for text, (raw, error) in zip(shown, answers, strict=True)]
    from chemtune.chat.adapters import resolve_adapter
    from chemtune.evaluate.scoring import generate_greedy
    from chemtune.models import load_for_inference

    adapter = str(resolve_adapter(str(config["adapter"]))[1].resolve()) if config.get("adapter") else None
    model, tokenizer = load_for_inference(config["model"], adapters=adapter, device=config["device"],
                                          trust_remote_code=config["trust_remote_code"], log=log)
    prompts = [prompting.render_messages(tokenizer, messages) for messages in conversations]
    token_ids = [prompting.tokenize_prompt(tokenizer, prompt) for prompt in prompts]
    raws = generate_greedy(model, tokenizer, token_ids, config["max_new_tokens"],
                           max(1, config["batch_size"] // 2), progress, should_stop)
    return [{"prompt": prompt.prompt, "raw": raw} for prompt, raw in zip(prompts, raws, strict=True)]


def judge_rows(config: dict, rows: list[dict], catalogue: dict[str, Task],
               log: Callable[[str], None]) -> None:
    """Ask the judge endpoint to grade each answer; its prompt, reply, score and reason go into the row."""
    from chemtune.evaluate.scoring import ask_endpoint, endpoint_client

    key = os.environ.get(config["judge_api_key_env"] or "") or None
    client = endpoint_client(config["judge_base_url"], key)
    conversations = [task_metrics.judge_messages(catalogue[row["task"]], row["prompt"], row["reference"],
                                                 row["raw"]) for row in rows]
    replies = ask_endpoint(client, config["judge_model"], conversations, 200, config["concurrency"])
    failed = 0
    for row, messages, (reply, error) in zip(rows, conversations, replies, strict=True):
        verdict = task_metrics.read_verdict(reply) if not error else {"score": None, "reason": error}
        failed += verdict["score"] is None
        row["judge"] = {"prompt": messages, "reply": reply, **verdict}
    if failed:
        log(f"the judge gave no usable score for {failed} of {len(rows)} answers")


def evaluate_tasks(config: dict, progress: Callable[..., None] | None = None,
                   should_stop: Callable[[], bool] | None = None,
                   log: Callable[[str], None] = print) -> tuple[dict, list[dict]]:
    """Score one model on a task benchmark; return (results with `subsets` keyed by task, rows)."""
    config = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    if config["method"] not in ("generate", "endpoint"):
        config["method"] = "generate"  # answers are written, never read off option log-likelihoods
    task_set = load_task_set(config["benchmark"], config["limit"])
    items = task_set.records
    catalogue = all_tasks()
    tasks = {r.task: _task_of(r, catalogue) for r in items}
    catalogue = {**catalogue, **tasks}
    report = progress or (lambda *a, **kw: None)
    total = len(items)
    log(f"{config['benchmark']}: {total} records ({task_set.source}) of {', '.join(tasks)}; "
        f"method {config['method']}")
    report(0, total, phase="loading model")
    started = time.perf_counter()
    answers = answer_records(config, items, lambda done: report(done, total, phase="answering"),
                             should_stop, log)
    seconds = time.perf_counter() - started
    rows = []
    for record, answer in zip(items, answers, strict=True):
        task = tasks[record.task]
        rows.append({"id": record.id, "subset": record.task, "task": record.task, "lang": record.lang,
                     **answer, "reference": record.output,
                     **task_metrics.score_answer(task, record.output, answer["raw"])})
    judged = bool(config.get("judge_base_url") and config.get("judge_model"))
    if judged:
        report(total, total, phase="judging")
        judge_rows(config, rows, catalogue, log)
    subsets = {name: task_metrics.summarize_task(task, [r for r in rows if r["task"] == name])
               for name, task in tasks.items()}
    failed = [row for row in rows if row.get("error")]
    if failed:
        log(f"{len(failed)} of {total} records got no answer from the endpoint (scored as empty answers)")
    average: dict[str, Any] = {"n": total}
    for metric in METRICS:  # the mean over the tasks the metric applies to
        values = [s[metric] for s in subsets.values() if s.get(metric) is not None]
        if values:
            average[metric] = sum(values) / len(values)
    results = {
        "kind": "tasks",
        "label": _label(config),
        "label_given": bool(config.get("label")),
        "model": config["model"],
        "adapter": config.get("adapter"),
        "benchmark": config["benchmark"],
        "exam": config["benchmark"],
        "source": task_set.source,
        "method": config["method"],
        "judge_model": config["judge_model"] if judged else None,
        "subset_order": list(tasks),
        "subsets": subsets,
        "average": average,
        "failed": len(failed),
        "seconds": round(seconds, 3),
        "records_per_s": round(total / seconds, 2) if seconds else None,
    }
    return results, rows


# ---- the per-task table ---------------------------------------------------------------------------

# (metric, English header, Korean header, how a value is shown)
TABLE_COLUMNS: tuple[tuple[str, str, str, Callable[[float], str]], ...] = (
    ("n", "n", "n", lambda v: f"{v:.0f}"),
    ("valid_json", "valid JSON %", "유효 JSON %", lambda v: f"{v * 100:.1f}"),
    ("schema_valid", "schema %", "스키마 %", lambda v: f"{v * 100:.1f}"),
    ("field_f1", "field F1", "필드 F1", lambda v: f"{v:.3f}"),
    ("chrf", "chrF", "chrF", lambda v: f"{v:.1f}"),
    ("rouge_l", "ROUGE-L", "ROUGE-L", lambda v: f"{v:.3f}"),
    ("judge", "judge (1-5)", "심사 (1-5)", lambda v: f"{v:.2f}"),
)


def task_table(results: list[dict], lang: str = "en") -> dict[str, Any]:
    """Per-task scores of one or more task-benchmark results, models side by side under each metric.

    {"columns": [header, ...], "rows": [{"task", "cells": {header: text}}]}; a metric no task of any
    model reports has no column, and a cell whose metric does not apply to the task is "–"."""
    tasks = list(dict.fromkeys(t for r in results for t in (r.get("subset_order") or r.get("subsets", {}))))
    several = len(results) > 1
    columns: list[tuple[str, str, dict, Callable[[float], str]]] = []
    for metric, english, korean, show in TABLE_COLUMNS:
        if not any(metric in s for r in results for s in r.get("subsets", {}).values()):
            continue
        for result in results:
            header = english if lang != "ko" else korean
            columns.append((metric, f"{header} ({result['label']})" if several else header, result, show))
    rows = []
    for task in tasks:
        cells = {}
        for metric, header, result, show in columns:
            value = result.get("subsets", {}).get(task, {}).get(metric)
            cells[header] = "–" if value is None else show(value)
        rows.append({"task": task, "cells": cells})
    return {"columns": [header for _, header, _, _ in columns], "rows": rows}


def task_table_markdown(results: list[dict], lang: str = "en") -> str:
    """The per-task table as Markdown."""
    table = task_table(results, lang)
    header = ["task" if lang != "ko" else "작업", *table["columns"]]
    rule = "|" + "|".join([":---"] + ["---:"] * len(table["columns"])) + "|"
    lines = ["| " + " | ".join(header) + " |", rule]
    for row in table["rows"]:
        lines.append("| " + " | ".join([row["task"], *(row["cells"][c] for c in table["columns"])]) + " |")
    return "\n".join(lines) + "\n"


def summary_line(results: dict) -> str:
    """One log line: each task's headline metrics."""
    parts = []
    for task, scores in results.get("subsets", {}).items():
        shown = [f"{header} {show(scores[metric])}" for metric, header, _, show in TABLE_COLUMNS[1:]
                 if scores.get(metric) is not None]
        parts.append(f"{task}: " + ", ".join(shown))
    return "; ".join(parts)


VERDICT_MARKS = {"match": "✓", "partial": "≈", "wrong": "✗", "missed": "✗", "extra": "✗", "absent": "✓"}


# The Inspect view's words; a page passes its own language's (pages/i18n.py) under the same keys.
VIEW_WORDS = {"prompt": "Prompt", "reference": "Reference", "answer": "Answer", "error": "Error",
              "valid_json": "valid JSON", "schema": "schema", "yes": "yes", "no": "no", "field": "field",
              "verdict": "verdict", "judge": "Judge"}


def record_view(row: dict, words: dict[str, str] | None = None) -> str:
    """One scored record as Markdown for the Inspect view: prompt, reference, answer, per-field verdicts."""
    w = {**VIEW_WORDS, **(words or {})}
    lines = [f"**{row['id']}** · {row['task']} · {row['lang']}"]
    for title, text in ((w["prompt"], row["prompt"]), (w["reference"], row["reference"]),
                        (w["answer"], row.get("raw") or "")):
        lines += ["", f"**{title}**", "", "```", text, "```"]
    if row.get("error"):
        lines += ["", f"{w['error']}: {row['error']}"]
    checks = []
    if "valid_json" in row:
        checks.append(f"{w['valid_json']}: {w['yes'] if row['valid_json'] else w['no']}")
    if "schema_valid" in row:
        checks.append(f"{w['schema']}: {w['yes'] if row['schema_valid'] else w['no']}"
                      + (f" ({row['schema_error']})" if row.get("schema_error") else ""))
    if checks:
        lines += ["", " · ".join(checks)]
    if row.get("fields"):
        lines += ["", f"| {w['field']} | {w['reference']} | {w['answer']} | {w['verdict']} |",
                  "|:---|:---|:---|:---|"]
        for verdict in row["fields"]:
            cells = [verdict["field"], "; ".join(verdict["reference"]) or "–",
                     "; ".join(verdict["answer"]) or "–",
                     f"{VERDICT_MARKS.get(verdict['verdict'], '')} {verdict['verdict']}"]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    judge = row.get("judge")
    if isinstance(judge, dict):
        score = judge.get("score") if judge.get("score") is not None else "–"
        lines += ["", f"{w['judge']}: {score} / 5 — {judge.get('reason', '')}"]
    return "\n".join(lines)
