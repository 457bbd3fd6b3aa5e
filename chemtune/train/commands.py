"""`python -m chemtune train …`: start (or resume) a LoRA run and follow it to the end."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.train import config as options

RESULT_KEYS = ("adapter_dir", "steps", "final_loss", "eval_loss", "train_tokens", "tokens_per_second",
               "merged_dir")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "train", parents=[common], help="LoRA-tune a model on instruction datasets (a job in runs/)",
        description="Every option below can also come from a YAML file (--config); flags override it.")
    p.add_argument("--config", help="YAML file of training options (a run's config.yaml works)")
    p.add_argument("--resume", metavar="RUN_ID", help="continue this run from its last checkpoint")
    p.add_argument("--name", metavar="RUN_ID", help="run id for a new run (default: train-DATE-TIME-xxxx)")
    p.add_argument("--detach", action="store_true", help="start the run and return; do not wait for it")
    p.add_argument("--estimate-only", action="store_true", help="print the estimate and start nothing")
    p.add_argument("--timeout", type=float, default=7 * 24 * 3600.0, help="seconds to wait for the run")
    options.add_cli_options(p.add_argument_group("training options"))
    p.set_defaults(func=cmd_train)


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in options.fields() if getattr(args, name, None) is not None}


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_train(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.train import estimate, job

    values = options.load_config_file(args.config) if args.config else {}
    values.update(_flags(args))
    est = None
    if args.resume:
        if args.name or args.estimate_only:
            raise ChemtuneError("--resume continues an existing run; it takes no --name or --estimate-only.",
                                ko="--resume는 기존 실행을 이어 갑니다; --name이나 --estimate-only는 함께 쓸 "
                                   "수 없습니다.")
        run = job.resume(args.resume, _flags(args))
        _say(f"resuming {run.run_id} from its last checkpoint")
    else:
        config = options.make_config(values)
        job.preflight(config)
        est = estimate.estimate(config)
        _say("estimate: " + estimate.summary_text(est))
        if args.estimate_only:
            emit(args, {"estimate": est}, estimate.summary_text(est))
            return 0
        run = job.start(values, run_id=args.name, check=False)
        _say(f"started {run.run_id} in {run.path}")
    if args.detach:
        status = run.status()
        emit(args, _result(run, status, est), f"{run.run_id}: {status.get('status')} (follow it with "
             f"`python -m chemtune job status {run.run_id}`)")
        return 0
    try:
        status = _follow(run, args.timeout)
    except KeyboardInterrupt:
        _say(f"stopped waiting; {run.run_id} keeps training. Abort it with "
             f"`python -m chemtune job abort {run.run_id}`.")
        return 130
    result = _result(run, status, est)
    text = f"{run.run_id}: {status.get('status')}"
    if result.get("final_loss") is not None:
        text += (f", {result['steps']} steps, final loss {result['final_loss']:.4f}, "
                 f"adapter in {result['adapter_dir']}")
    if status.get("error"):
        text += f" — {status['error']}"
    emit(args, result, text)
    if status.get("status") != "done":
        _say(f"error: {status.get('error') or 'the run ended ' + str(status.get('status'))}")
    return 0 if status.get("status") == "done" else 1


def _follow(run: Any, timeout: float) -> dict:
    """Wait for the run, printing its training steps to stderr as they come."""
    from chemtune import jobs

    offset, deadline = 0, time.monotonic() + timeout
    while True:
        events, offset = run.read_events(offset)
        for event in events:
            if event.get("type") == "train":
                line = f"step {event['step']}/{event['total_steps']}  loss {event['loss']:.4f}"
                if "eval_loss" in event:
                    line += f"  eval_loss {event['eval_loss']:.4f}"
                _say(line + f"  {event['tokens_per_second']:,.0f} tok/s  eta {event['eta_s']:.0f} s")
        status = run.status()
        if status.get("status") in jobs.FINISHED:
            return status
        if status.get("status") == "queued":
            jobs.schedule()
        if time.monotonic() > deadline:
            raise ChemtuneError(f"{run.run_id} did not finish within {timeout:.0f} s; it keeps running.",
                                ko=f"{run.run_id}이(가) {timeout:.0f}초 안에 끝나지 않았습니다; 계속 실행 "
                                   "중입니다.")
        time.sleep(0.5)


def _result(run: Any, status: dict, est: dict | None) -> dict:
    result = status.get("result") or {}
    out = {"run_id": run.run_id, "run_dir": str(run.path), "status": status.get("status"),
           **{key: result.get(key) for key in RESULT_KEYS}, "error": status.get("error")}
    if est is not None:
        out["estimate"] = {k: v for k, v in est.items() if k != "datasets"}
    return out
