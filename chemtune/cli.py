"""`python -m chemtune …`: the command-line face of the library.

Each feature package adds its subcommands through a `register(subparsers, common)` function in its
`commands` module, listed in FEATURE_COMMANDS. Every subcommand takes `--json`; it then prints one JSON
object as its last stdout line. Exit code 0 only on success; errors are one clear line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chemtune.errors import ChemtuneError

FEATURE_COMMANDS = (
    "chemtune.datagen.commands",
    "chemtune.train.commands",
    "chemtune.evaluate.commands",
    "chemtune.chat.commands",
    "chemtune.study.commands",
    "chemtune.share.commands",
)


def emit(args: argparse.Namespace, result: dict, text: str | None = None) -> None:
    """Print a human summary, or with --json one JSON object as the last stdout line."""
    if getattr(args, "json", False):
        if text and getattr(args, "verbose", False):
            print(text)
        print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
    else:
        print(text if text is not None else json.dumps(result, ensure_ascii=False, indent=2, default=str))


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object as the last stdout line")
    return common


# --------------------------------------------------------------------------------------------------
# Built-in subcommands: models, runs, jobs


def cmd_models(args: argparse.Namespace) -> int:
    from chemtune import models

    if args.action == "build":
        if models.gguf.is_gguf_path(args.name):
            path = models.gguf.local_gguf(Path(args.name))
        else:
            path = models.build(args.name, force=args.force)
        files = sorted(p.name for p in path.iterdir())
        emit(args, {"name": args.name, "path": str(path), "files": files}, f"{args.name} ready at {path}")
        return 0
    rows = models.list_models()
    lines = [f"{'name':28} {'kind':5} {'offline':12}  hub id / note"]
    for row in rows:
        offline = row["offline"]["source"] or ("no: " + row["offline"]["install"]
                                               if row["offline"].get("install") else "no")
        lines.append(f"{row['name']:28} {row['kind']:5} {offline:12}  "
                     f"{row['hub_id'] or row['path']}  — {row['note']}")
    emit(args, {"models": rows}, "\n".join(lines))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from chemtune import jobs

    rows = jobs.list_runs(kind=args.kind)
    lines = [f"{r['run_id']:40} {r.get('kind', '?'):12} {r.get('status', '?'):12} {r.get('created', '')}"
             for r in rows] or ["no runs yet"]
    emit(args, {"runs": rows}, "\n".join(lines))
    return 0


def cmd_job(args: argparse.Namespace) -> int:
    from chemtune import jobs

    if args.action == "abort":
        status = jobs.abort(args.run_id)
        emit(args, {"run_id": args.run_id, **status}, f"abort requested for {args.run_id}")
        return 0
    if args.action == "status":
        run = jobs.run_folder(args.run_id)
        status = run.status()
        emit(args, {"run_id": args.run_id, "run_dir": str(run.path), **status},
             f"{args.run_id}: {status.get('status')}"
             + (f" — {status['error']}" if status.get("error") else ""))
        return 0
    # start
    config = json.loads(args.config) if args.config else {}
    run = jobs.start_job(args.kind, config)
    status = jobs.wait(run, timeout=args.timeout) if args.wait else run.status()
    emit(args, {"run_id": run.run_id, "run_dir": str(run.path), **status},
         f"{run.run_id}: {status.get('status')}")
    return 0 if status.get("status") in ("done", "queued", "running") else 1


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="python -m chemtune",
        description="chemtune: build Korean/English chemistry instruction data, LoRA-tune, evaluate, chat.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("models", parents=[common],
                       help="list model presets and where each is available offline; build offline models")
    p.add_argument("action", nargs="?", choices=["list", "build"], default="list")
    p.add_argument("name", nargs="?", default="tiny",
                   help="model to build: tiny, a preset shipped as a GGUF package "
                        "(smollm2-135m-instruct, gemma-3-270m) or a path to a .gguf file")
    p.add_argument("--force", action="store_true", help="rebuild even if it exists")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("runs", parents=[common], help="list jobs (train, eval, generate) and their status")
    p.add_argument("--kind", help="only runs of this kind")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("job", parents=[common], help="start, inspect or abort a job by kind or run id")
    p.add_argument("action", choices=["start", "status", "abort"])
    p.add_argument("target", help="job kind (start) or run id (status, abort)")
    p.add_argument("--config", help="job config as a JSON object (start)")
    p.add_argument("--wait", action="store_true", help="wait until the job has finished (start)")
    p.add_argument("--timeout", type=float, default=3600.0)
    p.set_defaults(func=cmd_job)

    for module_name in FEATURE_COMMANDS:  # every feature is there: a missing one is an error, not skipped
        importlib.import_module(module_name).register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; no subcommand or an unknown one prints the usage and exits with code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "job":
        args.kind = args.run_id = args.target
    func: Callable[[argparse.Namespace], Any] = args.func
    from pydantic import ValidationError

    try:
        return int(func(args) or 0)
    except ChemtuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:  # a config built from options; one line, not pydantic's report
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error.get("loc", ())) or "value"
        print(f"error: {field}: {error.get('msg', 'invalid value')}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
