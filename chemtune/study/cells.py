"""Finding a cell's run again by its config: a train run or evaluation anywhere in the workspace (from
this study, another study, or the Train and Evaluate tabs) whose config is the same is the cell's run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chemtune import jobs, workspace
from chemtune.errors import ChemtuneError
from chemtune.study.plan import Cell

HOMES = {"train": "runs", "eval": "evals"}
IGNORED = ("kind", "resume")  # written by the job system, not part of what the run is


def job_config(cell: Cell, train_run: str | None = None) -> dict[str, Any]:
    """The cell's job config; an eval of a tuned model names its train run as the adapter."""
    if cell.kind == "eval" and cell.needs:
        if not train_run:
            raise ChemtuneError(f"{cell.label}: its training run has not finished.",
                                ko=f"{cell.label}: 학습 실행이 아직 끝나지 않았습니다.")
        from chemtune.evaluate.job import check_config

        return check_config({**cell.config, "adapter": train_run})
    return dict(cell.config)


def normal(kind: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """A config in the form two equal runs share (defaults filled in), or None if it is not valid now."""
    values = {k: v for k, v in config.items() if k not in IGNORED}
    try:
        if kind == "train":
            from chemtune.train.config import make_config, to_yaml_dict

            return to_yaml_dict(make_config(values))
        from chemtune.evaluate.job import check_config

        return {k: v for k, v in check_config(values).items() if v is not None}
    except Exception:  # an old run whose options no longer validate is simply not a match
        return None


def runs_of(kind: str) -> list[tuple[jobs.RunFolder, dict, dict]]:
    """(run, its config, its status) for every run of `kind`, newest first."""
    found = []
    for path in (workspace.home() / HOMES[kind]).iterdir():
        if not (path / "status.json").exists() or not (path / "config.yaml").exists():
            continue
        run = jobs.RunFolder(Path(path))
        config = run.config()
        if config.get("kind") == kind:
            found.append((run, config, run.status()))
    found.sort(key=lambda item: item[2].get("created") or "", reverse=True)
    return found


def find_run(kind: str, config: dict[str, Any]) -> tuple[jobs.RunFolder | None, str]:
    """The run that is this cell, and what to do with it: "reuse" (done, or still queued or running),
    "resume" (a train run stopped midway: it continues from its checkpoint) or "start" (none, or failed).
    A done run wins over an active one, an active one over one to resume."""
    target = normal(kind, config)
    matches = [(run, status) for run, old, status in runs_of(kind) if normal(kind, old) == target]
    for wanted, how in ((("done",), "reuse"), (jobs.ACTIVE, "reuse")):
        for run, status in matches:
            if status.get("status") in wanted:
                return run, how
    if kind == "train":
        for run, status in matches:
            if status.get("status") in ("interrupted", "aborted"):
                return run, "resume"
    return None, "start"


def preview(cells: list[Cell]) -> list[dict[str, Any]]:
    """What each cell would be now: "done" or "queued"/"running" (an existing run is reused), or
    "pending" (a job to start); an eval of a tuned model follows its training cell's run."""
    found: dict[str, tuple[jobs.RunFolder | None, str]] = {}
    rows = []
    for cell in cells:
        run, status = None, "pending"
        try:
            train_run = found.get(cell.needs, (None, ""))[0] if cell.needs else None
            if not cell.needs or (train_run and train_run.status().get("status") == "done"):
                run, how = find_run(cell.kind, job_config(cell, train_run.run_id if train_run else None))
                if run is not None and how == "reuse":
                    status = run.status().get("status")
                else:
                    run = None
        except ChemtuneError:
            run = None
        found[cell.key] = (run, status)
        rows.append({"key": cell.key, "kind": cell.kind, "model": cell.model, "condition": cell.condition,
                     "seed": cell.seed, "benchmark": cell.benchmark, "status": status,
                     "run_id": run.run_id if run else None})
    return rows
