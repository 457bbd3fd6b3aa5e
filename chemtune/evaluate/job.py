"""The `eval` job: load the exam, score the model, write `results.json` and `predictions.jsonl`.

Config keys (config.yaml of the run, the same from the UI and the CLI): model, adapter (a train run id or
an adapter folder), benchmark (catalogue name or exam file), data_dir, group_by, method (loglik | generate
| endpoint), prompt_style (chat | harness), shots, base_url, api_key_env, label, limit, batch_size,
max_new_tokens, trust_remote_code.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chemtune import workspace
from chemtune.errors import ChemtuneError
from chemtune.evaluate import harness, metrics
from chemtune.evaluate.benchmarks import Exam, load_exam
from chemtune.evaluate.extract import read_answer
from chemtune.evaluate.prompts import METHODS, messages_for, pick_shots, show_messages
from chemtune.prompting import render_messages

RESULTS_FILE = "results.json"
PREDICTIONS_FILE = "predictions.jsonl"
DEFAULTS: dict[str, Any] = {
    "method": "loglik",
    "prompt_style": "chat",
    "shots": 0,
    "group_by": "subject",
    "batch_size": 16,
    "max_new_tokens": 256,
    "api_key_env": "OPENAI_API_KEY",
    "concurrency": 4,
    "trust_remote_code": False,
}


def resolve_adapter(value: str | None) -> str | None:
    """An adapter folder from a folder path or a finished train run's id."""
    if not value:
        return None
    path = Path(str(value)).expanduser()
    if path.is_dir():
        if not (path / "adapter_config.json").exists():
            raise ChemtuneError(f"{path} is not an adapter folder (no adapter_config.json).")
        return str(path.resolve())
    if any(sep in str(value) for sep in ("/", "\\")) or str(value).startswith((".", "~")):
        raise ChemtuneError(f"{path}: no such folder (give an adapter folder or a finished train run's id).")
    from chemtune import jobs

    run = jobs.run_folder(str(value))
    status = run.status()
    if status.get("kind") != "train":
        raise ChemtuneError(f"Run {value} is a {status.get('kind')} run, not a train run.")
    result = status.get("result") or {}
    candidates = [result.get(key) for key in ("adapter_dir", "adapter", "output_dir")] + [
        run.path / "adapter"
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "adapter_config.json").exists():
            return str(Path(candidate).resolve())
    raise ChemtuneError(f"Train run {value} ({status.get('status')}) has no saved adapter yet.")


def endpoint_key(config: dict) -> str | None:
    env = config.get("api_key_env") or DEFAULTS["api_key_env"]
    # The key reaches the job process through its environment only; it is never written to disk.
    return os.environ.get(env) or None


def model_label(config: dict) -> str:
    if config.get("label"):
        return str(config["label"])
    if config.get("method") == "endpoint":
        return f"{config.get('model')} (endpoint)"
    adapter = config.get("adapter")
    return f"{config.get('model')} + {adapter_name(adapter)}" if adapter else f"{config.get('model')}"


def adapter_name(adapter: str) -> str:
    """A short name for an adapter: a train run's id for its folder (every run's is called `adapter`)."""
    path = Path(str(adapter))
    if path.name == "adapter" and path.parent.parent.name == "runs":
        return path.parent.name
    return path.name


def read_prediction(raw: str | None, choices: list[str]) -> dict[str, Any]:
    """A generated answer's prediction fields: the letter read (None when unparsed) and `read_by`, the
    reading rule that found it or the reason it names no option (see chemtune.evaluate.extract)."""
    reading = read_answer(raw, choices)
    return {"pred": reading.letter, "read_by": reading.rule}


def check_config(config: dict) -> dict:
    """The config with defaults filled in; raises ChemtuneError on a value the job cannot use."""
    config = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    if config["method"] not in METHODS:
        raise ChemtuneError(f"Unknown method {config['method']!r}; use one of {', '.join(METHODS)}.")
    if not config.get("model"):
        raise ChemtuneError(
            "No model given (a preset such as 'tiny', a hub id, a folder, or the endpoint's model name)."
        )
    if config["prompt_style"] not in harness.PROMPT_STYLES:
        raise ChemtuneError(
            f"Unknown prompt style {config['prompt_style']!r}; use one of {', '.join(harness.PROMPT_STYLES)}."
        )
    if config["prompt_style"] == "harness" and config["method"] != "loglik":
        raise ChemtuneError(
            "--prompt-style harness scores the continuations ' A'…' D' by log-likelihood, as "
            "lm-evaluation-harness does; it needs --method loglik."
        )
    config["trust_remote_code"] = _flag(config["trust_remote_code"])
    if config["method"] != "endpoint":
        _check_remote_code(config["model"], config["trust_remote_code"])
    if config["method"] == "endpoint" and not config.get("base_url"):
        raise ChemtuneError("The endpoint method needs --base-url (e.g. http://localhost:8000/v1).")
    if config["method"] == "endpoint" and config.get("adapter"):
        raise ChemtuneError(
            "An adapter cannot be attached to an endpoint model; serve the tuned model instead."
        )
    try:
        config["shots"] = int(config["shots"])
    except (TypeError, ValueError):
        raise ChemtuneError(f"shots must be a whole number, not {config['shots']!r}.") from None
    if not 0 <= config["shots"] <= 25:
        raise ChemtuneError("shots must be between 0 and 25.")
    for key, flag, low, meaning in (
        ("limit", "--limit", 0, "questions per sub-category; 0 or none for all"),
        ("batch_size", "--batch-size", 1, "questions per forward pass"),
        ("max_new_tokens", "--max-new-tokens", 1, "tokens generated per answer"),
    ):
        if config.get(key) is None:
            continue
        try:
            config[key] = int(config[key])
        except (TypeError, ValueError):
            raise ChemtuneError(f"{flag} must be a whole number ({meaning}), not {config[key]!r}.") from None
        if config[key] < low:  # a negative --limit would silently drop the last questions ([:-1])
            raise ChemtuneError(f"{flag} must be {low} or more ({meaning}), not {config[key]}.")
    if config.get("adapter"):
        # Found now, not after the job has queued and loaded the model.
        try:
            resolve_adapter(config["adapter"])
        except ChemtuneError as error:
            raise ChemtuneError(f"--adapter {config['adapter']}: {error}") from None
    return config


def _flag(value: Any) -> bool:
    if isinstance(value, str):  # from a hand-written config.yaml or an environment variable
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _check_remote_code(model: str, trust: bool) -> None:
    """Refuse a preset that needs its repository's code unless trust_remote_code is on (before queuing)."""
    from chemtune.models import PRESETS

    preset = PRESETS.get(str(model))
    if preset is not None and preset.trust_remote_code and not trust:
        raise ChemtuneError(
            f"Model {model!r} needs custom code from its repository; turn on 'trust remote code' "
            "(--trust-remote-code) if you trust it."
        )


def evaluate(
    config: dict,
    progress: Callable[..., None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    log: Callable[[str], None] = print,
) -> tuple[dict, list[dict]]:
    """Score one model on one exam; return (results, prediction rows)."""
    config = check_config(config)
    method, k = config["method"], config["shots"]
    exam: Exam = load_exam(
        config["benchmark"], config.get("data_dir"), config["group_by"], config.get("limit")
    )
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
            int(config["max_new_tokens"]),
            int(config["concurrency"]),
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
        from chemtune.models import load_model
        from chemtune.prompting import tokenize_prompt

        model, tokenizer = load_model(
            config["model"],
            adapters=resolve_adapter(config.get("adapter")),
            device=config.get("device", "auto"),
            trust_remote_code=config["trust_remote_code"],
        )
        started = time.perf_counter()
        if method == "loglik":
            from chemtune.evaluate.scoring import next_token_logprobs

            texts, token_ids, candidates, groups = loglik_inputs(config, exam, conversations, tokenizer)
            scores = next_token_logprobs(
                model,
                token_ids,
                candidates,
                int(config["batch_size"]),
                config.get("padding_side", "right"),
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
                int(config["max_new_tokens"]),
                max(1, int(config["batch_size"]) // 2),
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
            + ")."
        )
    return {**workspace.read_json(path), "eval_id": eval_id}


def load_predictions(eval_id: str) -> list[dict]:
    from chemtune import jobs

    path = jobs.run_folder(eval_id).path / PREDICTIONS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
