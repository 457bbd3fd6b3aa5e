"""CLI: `eval` (runs the same `eval` job the Evaluate tab starts), `compare`, `contamination`."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from chemtune.errors import ChemtuneError


def eval_config(args: argparse.Namespace) -> dict[str, Any]:
    """The job config from the command line flags (the same keys the UI writes)."""
    config = {
        "model": args.model,
        "adapter": args.adapter,
        "benchmark": args.benchmark,
        "data_dir": args.data_dir,
        "group_by": args.group_by,
        "method": args.method,
        "prompt_style": args.prompt_style,
        "shots": args.shots,
        "base_url": args.base_url,
        "api_key_env": args.api_key_env,
        "label": args.label,
        "limit": args.limit,
        "batch_size": args.batch_size,
        "max_new_tokens": args.max_new_tokens,
        "trust_remote_code": args.trust_remote_code or None,
    }
    return {key: value for key, value in config.items() if value is not None}


def wait_with_progress(run: Any, timeout: float, quiet: bool) -> dict:
    """Wait for the job, printing its progress to stderr (stdout stays clean for --json)."""
    from chemtune import jobs

    deadline = time.monotonic() + timeout
    offset, last = 0, ""
    while time.monotonic() < deadline:
        status = run.status()
        events, offset = run.read_events(offset)
        progress = [e for e in events if e.get("type") == "progress"]
        if progress and not quiet:
            event = progress[-1]
            line = f"{event.get('phase', '')}: {event.get('done')}/{event.get('total')}"
            if line != last:
                print(line, file=sys.stderr, flush=True)
                last = line
        if status.get("status") in jobs.FINISHED:
            return status
        if status.get("status") == "queued":
            jobs.schedule()
        time.sleep(0.3)
    raise ChemtuneError(
        f"Evaluation {run.run_id} did not finish within {timeout:.0f} s; it keeps running "
        f"(python -m chemtune job status {run.run_id})."
    )


def summary(results: dict, predictions: str) -> dict[str, Any]:
    keep = ("n", "accuracy", "macro_f1", "micro_f1", "unparsed", "unparsed_rate")
    return {
        "eval_id": results["eval_id"],
        "label": results["label"],
        "benchmark": results["benchmark"],
        "method": results["method"],
        "prompt_style": results.get("prompt_style", "chat"),
        "shots": results["shots"],
        "shots_from": results.get("shots_from"),
        "subsets": {name: {k: s[k] for k in keep} for name, s in results["subsets"].items()},
        "average": {k: results["average"][k] for k in keep},
        "mean": results["mean"],
        "failed": results.get("failed", 0),
        "read_by": results.get("read_by", {}),  # generated answers per reading rule (unparsed reasons too)
        "predictions": predictions,
        "results": predictions.replace("predictions.jsonl", "results.json"),
    }


def summary_table(out: dict) -> list[str]:
    """A summary's scores as text lines, the unparsed count and rate beside them: for generated answers
    the rate says how often the score rests on no answer at all."""
    lines = [f"{'subset':24} {'n':>5} {'accuracy':>9} {'macro-F1':>9} {'unparsed':>9} {'unparsed%':>9}"]
    for name, s in [*out["subsets"].items(), ("average", out["average"])]:
        lines.append(
            f"{name:24} {s['n']:5d} {s['accuracy']:9.4f} {s['macro_f1']:9.4f} {s['unparsed']:9d}"
            f" {s['unparsed_rate'] * 100:8.2f}%"
        )
    if out.get("read_by"):
        lines.append("read by: " + ", ".join(f"{rule} {count}" for rule, count in out["read_by"].items()))
    return lines


def cmd_eval(args: argparse.Namespace) -> int:
    from chemtune import jobs
    from chemtune.cli import emit
    from chemtune.evaluate.job import PREDICTIONS_FILE, check_config, load_results

    config = check_config(eval_config(args))
    run = jobs.start_job("eval", config, run_id=args.name, uses_gpu=config["method"] != "endpoint")
    if not args.json:
        print(f"evaluation {run.run_id} started ({run.path})", file=sys.stderr)
    status = wait_with_progress(run, args.timeout, quiet=args.json)
    if status.get("status") != "done":
        raise ChemtuneError(
            f"evaluation {run.run_id} {status.get('status')}: {status.get('error') or 'see log.txt'}"
        )
    results = load_results(run.run_id)
    out = summary(results, str(run.path / PREDICTIONS_FILE))
    shots = f"{results['shots']}-shot" + (
        f", examples from the {results['shots_from']} split" if results.get("shots_from") else ""
    )
    lines = [
        f"{results['label']} on {results['benchmark']} ({results['method']}, {shots}, "
        f"{results.get('prompt_style', 'chat')} prompts)",
        *summary_table(out),
    ]
    if out["failed"]:
        lines.append(f"{out['failed']} questions got no answer from the endpoint (counted as unparsed; "
                     "their errors are in the predictions' error field)")
    lines.append(f"predictions: {out['predictions']}")
    emit(args, out, "\n".join(lines))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.evaluate.job import load_results
    from chemtune.evaluate.report import comparison, render_table

    table = comparison([load_results(eval_id) for eval_id in args.eval_ids], args.metric, args.average)
    text = render_table(table, args.format)
    if args.output:
        from chemtune.workspace import write_text_atomic

        write_text_atomic(args.output, text)
    emit(args, {**table, "format": args.format, "text": text, "output": args.output}, text.rstrip("\n"))
    return 0


def cmd_contamination(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.evaluate.benchmarks import load_exam
    from chemtune.evaluate.contamination import check

    exam = load_exam(args.benchmark, args.data_dir, args.group_by)
    result = check(exam.questions, args.dataset, args.ngram, args.threshold, args.with_choices)
    result.pop("items")
    lines = [
        f"{result['flagged_count']} of {result['n']} questions overlap the training data "
        f"(≥{args.threshold:.0%} of their {args.ngram}-character n-grams)"
    ]
    lines += [
        f"  {item['overlap']:.0%}  {item['id']} [{item['subset']}] {item['question'][:80]}  "
        f"← {item['dataset']}:{item['record_id']}"
        for item in result["flagged"]
    ]
    emit(args, result, "\n".join(lines))
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    from chemtune.evaluate.harness import PROMPT_STYLES
    from chemtune.evaluate.prompts import METHODS
    from chemtune.evaluate.report import AVERAGES, FORMATS, METRICS

    p = subparsers.add_parser(
        "eval", parents=[common], help="evaluate a model on a chemistry exam (an eval job)"
    )
    p.add_argument(
        "--model",
        required=True,
        help="preset, hub id or folder; for --method endpoint the endpoint's model name (e.g. gpt-4o-mini)",
    )
    p.add_argument("--adapter", help="a finished train run id or a LoRA adapter folder")
    p.add_argument(
        "--benchmark",
        required=True,
        help="mmlu-chemistry, kmmlu-chemistry, sample, or the path of a CSV/JSONL exam",
    )
    p.add_argument("--data-dir", help="local folder with the benchmark's files (else the Hugging Face Hub)")
    p.add_argument("--group-by", choices=["subject", "difficulty"], help="kmmlu-chemistry sub-categories")
    p.add_argument(
        "--method",
        choices=METHODS,
        default="loglik",
        help="loglik: option-letter log-likelihood (default); generate: greedy answer in JSON; "
        "endpoint: generate through an OpenAI-compatible API",
    )
    p.add_argument(
        "--prompt-style",
        choices=PROMPT_STYLES,
        default="chat",
        help="chat: chemtune's prompts through the model's chat template (default, for tuned models); "
        "harness: plain text exactly as lm-evaluation-harness's mmlu_*/kmmlu_* tasks, continuations "
        "' A'..' D' (for base models, to compare with published numbers; loglik only)",
    )
    p.add_argument("--shots", type=int, default=0, help="k solved examples from the dev split (default 0)")
    p.add_argument("--base-url", help="endpoint base URL, e.g. http://localhost:8000/v1")
    p.add_argument(
        "--api-key-env", help="environment variable holding the endpoint's API key (default OPENAI_API_KEY)"
    )
    p.add_argument("--label", help="row name in comparison tables (default: model [+ adapter])")
    p.add_argument("--limit", type=int, help="only the first N questions of each sub-category")
    p.add_argument("--batch-size", type=int, help="questions per forward pass (default 16)")
    p.add_argument("--max-new-tokens", type=int, help="generation length for generate/endpoint (default 256)")
    p.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="run the Python code the model's repository ships (EXAONE needs it); only for models you trust",
    )
    p.add_argument("--name", help="eval id (default: generated)")
    p.add_argument("--timeout", type=float, default=24 * 3600.0, help="seconds to wait for the job")
    p.set_defaults(func=cmd_eval)

    p = subparsers.add_parser(
        "compare", parents=[common], help="paper-style table comparing finished evaluations"
    )
    p.add_argument("eval_ids", nargs="+", metavar="EVAL_ID")
    p.add_argument("--format", choices=FORMATS, default="markdown")
    p.add_argument("--metric", choices=list(METRICS), default="macro_f1")
    p.add_argument(
        "--average",
        choices=list(AVERAGES),
        default="average",
        help="average: pooled over all questions; mean: mean over sub-categories",
    )
    p.add_argument("--output", help="also write the table to this file")
    p.set_defaults(func=cmd_compare)

    p = subparsers.add_parser(
        "contamination",
        parents=[common],
        help="n-gram overlap between training datasets and an exam's questions",
    )
    p.add_argument("--benchmark", required=True, help="benchmark name or exam file")
    p.add_argument("--data-dir")
    p.add_argument("--group-by", choices=["subject", "difficulty"], default="subject")
    p.add_argument(
        "--dataset", action="append", required=True, help="training dataset name or file (repeatable)"
    )
    p.add_argument("--ngram", type=int, default=20, help="n-gram length in characters (default 20)")
    p.add_argument("--threshold", type=float, default=0.5, help="flag at this share of n-grams (default 0.5)")
    p.add_argument("--with-choices", action="store_true", help="include the options' text")
    p.set_defaults(func=cmd_contamination)
