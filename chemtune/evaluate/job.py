"""The `eval` job: load the exam, score the model, write `results.json` and `predictions.jsonl`.

Its config (config.yaml of the run, the same from the UI, the CLI and a study) holds exactly the options
of `chemtune.evaluate.config.EvalConfig`, checked by `check_config`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chemtune import workspace
from chemtune.chat import adapters
from chemtune.errors import ChemtuneError
from chemtune.evaluate import config as declared  # the options' declaration (read when used)
from chemtune.evaluate import harness, metrics
from chemtune.evaluate.benchmarks import Exam, load_exam
from chemtune.evaluate.extract import read_answer
from chemtune.evaluate.prompts import messages_for, pick_shots, show_messages
from chemtune.evaluate.tasks import evaluate_tasks, is_task_benchmark, summary_line
from chemtune.prompting import render_messages

RESULTS_FILE = "results.json"
PREDICTIONS_FILE = "predictions.jsonl"
JOB_KEYS = ("kind",)  # written into config.yaml by the job system, not an option


def resolve_adapter(value: str | None) -> str | None:
    """The adapter folder an adapter spec names (a folder, a train run's id, NAME=either); None for none."""
    if not value:
        return None
    return str(adapters.resolve_adapter(str(value))[1].resolve())


def endpoint_key(config: dict) -> str | None:
    # The key reaches the job process through its environment only; it is never written to disk.
    return os.environ.get(config["api_key_env"]) or None


def model_label(config: dict) -> str:
    if config.get("label"):
        return str(config["label"])
    if config.get("method") == "endpoint":
        return f"{config.get('model')} (endpoint)"
    adapter = config.get("adapter")
    return f"{config.get('model')} + {adapter_name(adapter)}" if adapter else f"{config.get('model')}"


def adapter_name(adapter: str) -> str:
    """A short name for an adapter, by the chat's rule: NAME= if given, a train run's id for its folder."""
    return adapters.adapter_name(str(adapter))


def read_prediction(raw: str | None, choices: list[str]) -> dict[str, Any]:
    """A generated answer's prediction fields: the letter read (None when unparsed) and `read_by`, the
    reading rule that found it or the reason it names no option (see chemtune.evaluate.extract)."""
    reading = read_answer(raw, choices)
    return {"pred": reading.letter, "read_by": reading.rule}


def check_config(config: dict) -> dict:
    """Every declared option (defaults filled in) of an eval job; raises ChemtuneError naming the field of
    a value the job cannot use (its message in English, its `ko` in Korean)."""
    values = {k: v for k, v in config.items() if k not in JOB_KEYS}
    checked = declared.make_eval_config(values)
    if checked.adapter:
        # Found now, not after the job has queued and loaded the model.
        try:
            resolve_adapter(checked.adapter)
        except ChemtuneError as error:
            korean = getattr(error, "ko", None) or str(error)
            raise declared.refused(declared.EvalConfig, "adapter", str(error), korean) from None
    return checked.model_dump(mode="json")


def evaluate(
    config: dict,
    progress: Callable[..., None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    log: Callable[[str], None] = print,
) -> tuple[dict, list[dict]]:
    """Score one model on one exam; return (results, prediction rows)."""
    config = check_config(config)
    if is_task_benchmark(config["benchmark"]):  # held-out instruction records, scored per task
        return evaluate_tasks(config, progress, should_stop, log)
    method, k = config["method"], config["shots"]
    exam: Exam = load_exam(config["benchmark"], config["data_dir"], config["group_by"], config["limit"])
    questions = exam.questions
    total = len(questions)
    report = progress or (lambda *a, **kw: None)
    log(
        f"{exam.name}: {total} questions in {', '.join(exam.subsets)}; method {method}, {k}-shot, "
        f"{config['prompt_style']} prompts"
    )
    shots_from = None if k == 0 else "dev" if exam.dev else "test"
    if shots_from == "test":
        log(
            f"{exam.name} has no dev split: each question's {k} examples are other test questions of its "
            "sub-category (never the question itself), which are scored as well"
        )
    conversations = [messages_for(q, pick_shots(q, k, exam.dev, questions), method) for q in questions]
    report(0, total, phase="loading model")
    started = time.perf_counter()
    rows = [
        {
            "id": q.id,
            "subset": q.subset,
            "question": q.question,
            "choices": q.choices,
            "gold": q.answer,
            "lang": q.lang,
        }
        for q in questions
    ]

    def tick(done: int) -> None:
        report(done, total, phase="scoring")

    if method == "endpoint":
        from chemtune.evaluate.scoring import ask_endpoint, endpoint_client

        client = endpoint_client(config["base_url"], endpoint_key(config))
        started = time.perf_counter()
        answers = ask_endpoint(
            client,
            config["model"],
            conversations,
            config["max_new_tokens"],
            config["concurrency"],
            tick,
            should_stop,
        )
        for row, q, messages, (raw, error) in zip(rows, questions, conversations, answers, strict=True):
            row.update(prompt=show_messages(messages), raw=raw, **read_prediction(raw, q.choices))
            if error:
                row["error"] = error
        failed = [row for row in rows if row.get("error")]
        if failed:
            log(
                f"{len(failed)} of {total} questions got no answer from the endpoint (counted as unparsed); "
                + "; ".join(f"{row['id']}: {row['error']}" for row in failed[:3])
                + (" …" if len(failed) > 3 else "")
            )
    else:
        from chemtune.models import load_for_inference
        from chemtune.prompting import tokenize_prompt

        model, tokenizer = load_for_inference(
            config["model"],
            adapters=resolve_adapter(config.get("adapter")),
            device=config["device"],
            trust_remote_code=config["trust_remote_code"],
            log=log,
        )
        started = time.perf_counter()
        if method == "loglik":
            from chemtune.evaluate.scoring import next_token_logprobs

            texts, token_ids, candidates, groups = loglik_inputs(config, exam, conversations, tokenizer)
            scores = next_token_logprobs(
                model,
                token_ids,
                candidates,
                config["batch_size"],
                config["padding_side"],
                tick,
                should_stop,
                groups=groups,
                log=log,
            )
            for row, q, text, lp in zip(rows, questions, texts, scores, strict=True):
                pred = q.letters[max(range(len(lp)), key=lp.__getitem__)] if lp else None
                row.update(
                    prompt=text,
                    pred=pred,
                    logprobs={letter: round(v, 4) for letter, v in zip(q.letters, lp, strict=False)},
                )
        else:
            from chemtune.evaluate.scoring import generate_greedy

            prompts = [render_messages(tokenizer, messages) for messages in conversations]
            token_ids = [tokenize_prompt(tokenizer, prompt) for prompt in prompts]

            raws = generate_greedy(
                model,
                tokenizer,
                token_ids,
                config["max_new_tokens"],
                max(1, config["batch_size"] // 2),
                tick,
                should_stop,
            )
            for row, q, prompt, raw in zip(rows, questions, prompts, raws, strict=True):
                row.update(prompt=prompt.prompt, raw=raw, **read_prediction(raw, q.choices))
    seconds = time.perf_counter() - started
    for row in rows:
        row["correct"] = row.get("pred") == row["gold"]
    summary = metrics.summarize(rows, exam.subsets, exam.letters)
    results = {
        "label": model_label(config),
        "label_given": bool(config.get("label")),  # comparison tables add method / k-shot to default labels
        "model": config["model"],
        "adapter": config.get("adapter"),
        "benchmark": config["benchmark"],
        "exam": exam.name,
        "source": exam.source,
        "method": method,
        "prompt_style": config["prompt_style"],  # "chat" or "harness" (lm-evaluation-harness's text)
        "shots": k,
        "shots_from": shots_from,  # "dev", "test" (no dev split), or None for zero-shot
        "group_by": config["group_by"],
        "letters": exam.letters,
        "subset_order": exam.subsets,
        **summary,
        "failed": sum(1 for row in rows if row.get("error")),  # endpoint requests that got no answer
        "read_by": metrics.read_by_counts(rows),  # generated answers per reading rule, unparsed reasons too
        "seconds": round(seconds, 3),
        "questions_per_s": round(total / seconds, 2) if seconds else None,
    }
    return results, rows


def loglik_inputs(
    config: dict, exam: Exam, conversations: list[list[dict]], tokenizer: Any
) -> tuple[list[str], list[list[int]], list[list[int]], list[str]]:
    """(prompt texts, their token ids, each option's answer token, batch groups) in the config's style."""
    k = config["shots"]
    if config["prompt_style"] == "harness":
        shots = harness.pick_shots(exam.questions, k, exam.dev, str(config["benchmark"]))
        texts = [harness.render(q, examples) for q, examples in zip(exam.questions, shots, strict=True)]
        encoded = [harness.encode(tokenizer, text, q.letters) for text, q in zip(texts, exam.questions,
                                                                                 strict=True)]
        groups = [json.dumps([q.subset, q.lang, [e.id for e in examples]])
                  for q, examples in zip(exam.questions, shots, strict=True)]
        return texts, [ids for ids, _ in encoded], [c for _, c in encoded], groups
    from chemtune.evaluate.scoring import letter_token_ids
    from chemtune.prompting import tokenize_prompt

    prompts = [render_messages(tokenizer, messages) for messages in conversations]
    cache: dict = {}
    candidates = [
        letter_token_ids(tokenizer, m, p, q.letters, cache)
        for m, p, q in zip(conversations, prompts, exam.questions, strict=True)
    ]
    # Prompts of one sub-category with the same examples share their beginning.
    groups = [
        json.dumps([q.subset, q.lang, messages[:-1]], ensure_ascii=False)
        for q, messages in zip(exam.questions, conversations, strict=True)
    ]
    return [p.prompt for p in prompts], [tokenize_prompt(tokenizer, p) for p in prompts], candidates, groups


def write_outputs(run_dir: Path, results: dict, rows: list[dict]) -> None:
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    workspace.write_text_atomic(run_dir / PREDICTIONS_FILE, lines)
    workspace.write_json(run_dir / RESULTS_FILE, results)


def run(ctx: Any) -> dict:
    """Job worker for kind `eval`."""
    results, rows = evaluate(ctx.config, ctx.progress, ctx.should_stop, ctx.log)
    ctx.check_abort()
    results["eval_id"] = ctx.run.run_id
    write_outputs(ctx.run_dir, results, rows)
    average = results["average"]
    if results.get("kind") == "tasks":
        ctx.log(summary_line(results))
        return {
            "results": str(ctx.run_dir / RESULTS_FILE),
            "predictions": str(ctx.run_dir / PREDICTIONS_FILE),
            "label": results["label"],
            "failed": results["failed"],
            "subsets": results["subsets"],
        }
    ctx.log(
        f"accuracy {average['accuracy']:.4f}, macro-F1 {average['macro_f1']:.4f}, "
        f"unparsed {average['unparsed']} of {average['n']}"
        + (f" ({results['failed']} failed at the endpoint)" if results["failed"] else "")
    )
    return {
        "results": str(ctx.run_dir / RESULTS_FILE),
        "predictions": str(ctx.run_dir / PREDICTIONS_FILE),
        "label": results["label"],
        "average": average,
        "failed": results["failed"],
        "subsets": {name: s["accuracy"] for name, s in results["subsets"].items()},
    }


def load_results(eval_id: str) -> dict:
    """results.json of a finished evaluation."""
    from chemtune import jobs

    run = jobs.run_folder(eval_id)
    path = run.path / RESULTS_FILE
    if not path.exists():
        status = run.status()
        raise ChemtuneError(
            f"Evaluation {eval_id} has no results ({status.get('status')}"
            + (f": {status['error']}" if status.get("error") else "")
            + ").",
            ko=f"평가 {eval_id}에 결과가 없습니다({status.get('status')}"
               + (f": {status['error']}" if status.get("error") else "")
               + ")."
        )
    return {**workspace.read_json(path), "eval_id": eval_id}


def load_predictions(eval_id: str) -> list[dict]:
    from chemtune import jobs

    path = jobs.run_folder(eval_id).path / PREDICTIONS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
