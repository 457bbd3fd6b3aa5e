"""CLI: `eval` (runs the same `eval` job the Evaluate tab starts), `compare`, `contamination`."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from chemtune import options
from chemtune.errors import ChemtuneError
from chemtune.evaluate import config as declared  # the options' declaration (read when used)


def eval_config(args: argparse.Namespace) -> dict[str, Any]:
    """The job's options: the --config file's, then the flags given (the same keys the tab writes)."""
    values = declared.load_config_file(args.config) if args.config else {}
    values.update(options.from_args(declared.EvalConfig, args))
    return values


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
        f"(python -m chemtune job status {run.run_id}).",
        ko=f"평가 {run.run_id}이(가) {timeout:.0f}초 안에 끝나지 않았습니다; 계속 실행 중입니다 "
           f"(python -m chemtune job status {run.run_id})."
    )


def summary(results: dict, predictions: str) -> dict[str, Any]:
    if results.get("kind") == "tasks":  # per task: n and the metrics that apply to it (others absent)
        return {
            "eval_id": results["eval_id"],
            "label": results["label"],
            "benchmark": results["benchmark"],
            "method": results["method"],
            "source": results.get("source"),
            "judge_model": results.get("judge_model"),
            "subsets": results["subsets"],
            "average": results["average"],
            "failed": results.get("failed", 0),
            "predictions": predictions,
            "results": predictions.replace("predictions.jsonl", "results.json"),
        }
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
            f"evaluation {run.run_id} {status.get('status')}: {status.get('error') or 'see log.txt'}",
            ko=f"평가 {run.run_id} {status.get('status')}: {status.get('error') or 'log.txt를 보세요'}"
        )
    results = load_results(run.run_id)
    out = summary(results, str(run.path / PREDICTIONS_FILE))
    if results.get("kind") == "tasks":
        from chemtune.evaluate.tasks import task_table_markdown

        text = f"{results['label']} on {results['benchmark']} ({results['source']}, {results['method']})\n"
        emit(args, out, text + task_table_markdown([results]) + f"predictions: {out['predictions']}")
        return 0
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

    results = [load_results(eval_id) for eval_id in args.eval_ids]
    if all(r.get("kind") == "tasks" for r in results):  # base vs tuned side by side, per task
        from chemtune.evaluate.tasks import task_table, task_table_markdown

        text = task_table_markdown(results)
        emit(args, {**task_table(results), "format": "markdown", "text": text}, text.rstrip("\n"))
        return 0
    table = comparison(results, args.metric, args.average)
    text = render_table(table, args.format)
    if args.output:
        from chemtune.workspace import write_text_atomic

        write_text_atomic(args.output, text)
    emit(args, {**table, "format": args.format, "text": text, "output": args.output}, text.rstrip("\n"))
    return 0


def cmd_contamination(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.evaluate import contamination

    config = declared.make_contamination_config(options.from_args(declared.ContaminationConfig, args))
    result = contamination.run(config)
    result.pop("items")
    lines = [
        f"{result['flagged_count']} of {result['n']} questions overlap the training data "
        f"(≥{config.threshold:.0%} of their {config.ngram}-character n-grams)"
    ]
    lines += [
        f"  {item['overlap']:.0%}  {item['id']} [{item['subset']}] {item['question'][:80]}  "
        f"← {item['dataset']}:{item['record_id']}"
        for item in result["flagged"]
    ]
    emit(args, result, "\n".join(lines))
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    from chemtune.evaluate.report import AVERAGES, FORMATS, METRICS

    p = subparsers.add_parser(
        "eval", parents=[common], help="evaluate a model on a chemistry exam (an eval job)",
        description="Every option below can also come from a YAML file (--config); flags override it.")
    p.add_argument("--config", help="YAML file of evaluation options (an eval's config.yaml works)")
    p.add_argument("--name", help="eval id (default: generated)")
    p.add_argument("--timeout", type=float, default=24 * 3600.0, help="seconds to wait for the job")
    options.add_cli_options(p.add_argument_group("evaluation options"), declared.EvalConfig)
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
    options.add_cli_options(p.add_argument_group("contamination options"), declared.ContaminationConfig)
    p.set_defaults(func=cmd_contamination)
