"""`python -m chemtune study plan|run|status|table|abort STUDY.yaml|TEMPLATE|STUDY_ID`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chemtune.errors import ChemtuneError

ACTIONS = ("plan", "run", "status", "table", "abort")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    from chemtune.study import render, tables

    p = subparsers.add_parser(
        "study", parents=[common], help="plan and run a grid of models × tuning conditions × benchmarks",
        description="A study YAML has the keys name, models, conditions, train, benchmarks and optional "
                    "seeds, mixtures and reference; templates: paper, paper-mini.")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("target", help="a study YAML file, a template name, or a study id")
    p.add_argument("--detach", action="store_true", help="run: start the study and return at once")
    p.add_argument("--no-estimate", action="store_true", help="plan: skip the training time estimate")
    p.add_argument("--format", choices=render.FORMATS, default="markdown", help="table: output format")
    p.add_argument("--metric", choices=(*tables.METRICS, *tables.TASK_METRICS), default="macro_f1",
                   help="table: the figure shown (a task benchmark's table shows its first metric when given "
                        "an exam's)")
    p.add_argument("--view", choices=tables.VIEWS, default="all",
                   help="table: all rows, or one of the paper's views (size: Tables 7–8, tuning-data: 9–10, "
                        "original-vs-chat: 11–12)")
    p.add_argument("--output", help="table: also write the text to this file")
    p.add_argument("--timeout", type=float, default=7 * 24 * 3600.0, help="run: seconds to wait")
    p.set_defaults(func=cmd_study)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def study_id_of(target: str) -> str:
    """The id of a study given by id, YAML file or template (the id is found from the config itself)."""
    from chemtune.study import config

    if (config.studies_dir() / target / "plan.json").is_file() and "/" not in target:
        return target
    return config.study_id(config.load(target))


def json_tables(data: dict[str, Any]) -> dict[str, Any]:
    keep = ("model", "condition", "subsets", "average", "mean", "delta", "sd", "seeds", "eval_ids",
            "contamination")
    return {name: {"subsets": table["subsets"],
                   "rows": [{k: row.get(k) for k in keep} for row in table["rows"]],
                   "reference": table.get("reference", [])}
            for name, table in data["tables"].items()}


def tables_text(study_id: str, fmt: str = "markdown", metric: str = "macro_f1", view: str = "all") -> str:
    from chemtune.study import render, tables
    from chemtune.study.runner import StudyFolder

    data = tables.tables(study_id)
    study = StudyFolder(study_id).study()
    parts = []
    for table in data["tables"].values():
        shown = tables.view(table, view, study.models, list(study.conditions))
        if fmt == "markdown" and metric == "macro_f1" and view == "all":  # every metric, one table each
            metrics = shown.get("metrics") if tables.is_task_table(shown) else tables.METRICS
            parts.append("\n".join(render.export(shown, fmt, m) for m in metrics))
        else:
            parts.append(render.export(shown, fmt, metric))
    return "\n".join(parts)


def cmd_study(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.study import config, plan, runner, tables

    if args.action == "plan":
        study = config.load(args.target)
        folder, cells = runner.prepare(study)
        from chemtune.study.cells import preview

        rows = preview(cells)
        est = None if args.no_estimate else plan.estimate(study, cells)
        lines = [f"study {folder.study_id}: {len(cells)} cells ({folder.path})"]
        lines += [f"  {r['status']:8} {r['key']}" + (f"  [{r['run_id']}]" if r["run_id"] else "")
                  for r in rows]
        if est:
            from chemtune.train.estimate import format_seconds

            lines.append(f"training: {est['train_cells']} runs, about {est['train_tokens']:,} tokens, "
                         f"≈ {format_seconds(est['train_seconds'])}"
                         + (f" (no estimate for {len(est['unknown'])})" if est["unknown"] else ""))
        emit(args, {"study_id": folder.study_id, "cells": rows, "estimate": est}, "\n".join(lines))
        return 0
    if args.action == "run":
        study = config.load(args.target)
        folder = runner.start(study)
        _say(f"study {folder.study_id} running ({folder.path})")
        if args.detach:
            current = runner.status(folder.study_id)
            emit(args, {"study_id": folder.study_id, "status": current["status"], "tables": {},
                        "cells": current["cells"]},
                 f"{folder.study_id}: {current['status']} (follow it with `python -m chemtune study status "
                 f"{folder.study_id}`)")
            return 0
        try:
            final = runner.wait(folder.study_id, args.timeout, on_change=_print_cells)
        except KeyboardInterrupt:
            _say(f"stopped following; study {folder.study_id} keeps running. Abort it with "
                 f"`python -m chemtune study abort {folder.study_id}`.")
            return 130
        return _finish(args, folder.study_id, final)
    study_id = study_id_of(args.target)
    if args.action == "abort":
        current = runner.abort(study_id)
        emit(args, {"study_id": study_id, "status": current["status"], "cells": current["cells"]},
             f"abort requested for study {study_id}")
        return 0
    current = runner.status(study_id)
    if args.action == "status":
        data = tables.tables(study_id)
        lines = [f"study {study_id}: {current['status']}" + (f" — {current['error']}" if current["error"]
                                                             else "")]
        lines += [f"  {c['status']:11} {c['key']}" + (f"  [{c['run_id']}]" if c["run_id"] else "")
                  + (f"  {c['error']}" if c["error"] and c["status"] != "done" else "")
                  for c in current["cells"]]
        emit(args, {"study_id": study_id, "status": current["status"], "tables": json_tables(data),
                    "cells": current["cells"]}, "\n".join(lines))
        return 0
    return _finish(args, study_id, current, code_on_status=False)


def _print_cells(current: dict) -> None:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(current["counts"].items()))
    running = [c["key"] for c in current["cells"] if c["status"] in ("queued", "running")]
    _say(f"cells: {counts}" + (f"; now {running[0]}" if running else ""))


def _finish(args: argparse.Namespace, study_id: str, current: dict, code_on_status: bool = True) -> int:
    from chemtune.cli import emit
    from chemtune.study import tables

    text = tables_text(study_id, args.format, args.metric, args.view)
    if args.output:
        from chemtune.workspace import write_text_atomic

        write_text_atomic(args.output, text)
    data = tables.tables(study_id)
    failed = [c for c in current["cells"] if c["status"] not in ("done",)]
    summary = f"study {study_id}: {current['status']}"
    if failed and current["status"] != "running":
        summary += "".join(f"\n  {c['key']}: {c['status']}" + (f" — {c['error']}" if c["error"] else "")
                           for c in failed)
    if not args.json:
        print(text)
    emit(args, {"study_id": study_id, "status": current["status"], "tables": json_tables(data)}, summary)
    if code_on_status and current["status"] != "done":
        reason = current.get("error") or "see its cells"
        raise ChemtuneError(f"study {study_id} {current['status']}: {reason}",
                            ko=f"스터디 {study_id} {current['status']}: "
                               f"{current.get('error') or '셀들을 보세요'}")
    return 0
