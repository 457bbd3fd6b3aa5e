"""What a finished train run is made of, read from its folder: base model, datasets, options, the loss
curve and every finished evaluation of its adapter (what a model card states)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chemtune import jobs, models, records
from chemtune.errors import ChemtuneError
from chemtune.train import checkpoint

JOB_KEYS = ("kind", "resume")


@dataclass
class RunFacts:
    run_id: str
    path: Path
    config: dict[str, Any]  # the training options as config.yaml holds them
    result: dict[str, Any]  # status.json's result: steps, losses, tokens …
    adapter_dir: Path
    hub_base: str | None  # the base model's Hub id, when it has one
    datasets: list[dict[str, Any]] = field(default_factory=list)
    losses: list[dict[str, Any]] = field(default_factory=list)  # {"step", "loss", "eval_loss"?}
    evaluations: list[dict[str, Any]] = field(default_factory=list)  # results.json of each

    @property
    def base_model(self) -> str:
        return str(self.config.get("model"))

    @property
    def merged_dir(self) -> Path | None:
        path = self.path / checkpoint.MERGED
        return path if (path / "config.json").exists() else None


def finished_run(run_id: str) -> RunFacts:
    """The facts of a finished train run with a saved adapter, or a ChemtuneError saying what is missing."""
    from chemtune.chat.adapters import run_adapter_dir

    run = jobs.run_folder(run_id)
    status = run.status()
    if status.get("kind") != "train":
        raise ChemtuneError(f"Run {run_id} is a {status.get('kind')!r} job, not a training run.",
                            ko=f"실행 {run_id}은(는) 학습 실행이 아닙니다({status.get('kind')}).")
    if status.get("status") != "done":
        raise ChemtuneError(f"Run {run_id} is {status.get('status')}; only a finished run can be shared.",
                            ko=f"실행 {run_id}의 상태는 {status.get('status')}입니다. 끝난 실행만 "
                               "공유할 수 있습니다.")
    config = {k: v for k, v in run.config().items() if k not in JOB_KEYS}
    adapter = run_adapter_dir(run_id)
    return RunFacts(run_id=run_id, path=run.path, config=config, result=status.get("result") or {},
                    adapter_dir=adapter, hub_base=hub_id(str(config.get("model"))),
                    datasets=dataset_facts(config.get("data") or []), losses=loss_curve(run),
                    evaluations=adapter_evaluations(adapter))


def hub_id(spec: str) -> str | None:
    """The Hub id of a base model spec: a preset's, or the spec itself when it reads as ORG/NAME."""
    preset = models.PRESETS.get(spec)
    if preset is not None:
        return preset.hub_id or None
    if spec.count("/") == 1 and not spec.startswith((".", "/", "~")) and not Path(spec).exists():
        return spec
    return None


def dataset_facts(items: list[str]) -> list[dict[str, Any]]:
    """Each training dataset: name, weight, record count and counts by task and by language."""
    from chemtune.train.config import dataset_weight

    rows = []
    for item in items:
        name, weight = dataset_weight(item)
        try:
            summary = records.summarize(records.load_dataset_records(name))
        except ChemtuneError:  # deleted since the run: the card still names it
            summary = {"count": None, "tasks": {}, "langs": {}}
        rows.append({"name": name, "weight": weight, **summary})
    return rows


def loss_curve(run: jobs.RunFolder) -> list[dict[str, Any]]:
    """The training loss (and eval loss where measured) per step; a resumed run's repeated steps keep the
    newest value."""
    by_step: dict[int, dict[str, Any]] = {}
    for event in run.read_events(0)[0]:
        if event.get("type") == "train" and event.get("loss") is not None:
            row = {"step": int(event["step"]), "loss": float(event["loss"])}
            if event.get("eval_loss") is not None:
                row["eval_loss"] = float(event["eval_loss"])
            by_step[row["step"]] = row
    return [by_step[step] for step in sorted(by_step)]


def adapter_evaluations(adapter_dir: Path) -> list[dict[str, Any]]:
    """results.json of every finished evaluation that scored this adapter (newest first)."""
    from chemtune.evaluate.job import load_results, resolve_adapter

    target = Path(adapter_dir).resolve()
    found = []
    for row in jobs.list_runs(kind="eval"):
        if row.get("status") != "done":
            continue
        spec = jobs.RunFolder(Path(row["run_dir"])).config().get("adapter")
        if not spec:
            continue
        try:
            if Path(resolve_adapter(str(spec))).resolve() != target:
                continue
            found.append(load_results(row["run_id"]))
        except (ChemtuneError, OSError, json.JSONDecodeError):
            continue  # an adapter or results file gone since: nothing to report for it
    return found
