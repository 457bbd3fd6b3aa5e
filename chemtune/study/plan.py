"""A study expanded into cells: one training run per (model, condition ≠ none, seed) and one evaluation
per (model, condition, seed, benchmark). Each cell's job config is built by the train and eval
declarations themselves, so a cell is exactly the run the Train or Evaluate tab would start."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.study.config import NONE, StudyConfig


@dataclass
class Cell:
    """One job of the study. `config` is its job config (an eval of a tuned model gets its adapter, the
    train cell's run id, once that run has finished)."""

    kind: str  # "train" or "eval"
    model: str
    condition: str
    seed: int | None
    benchmark: str | None = None  # the benchmark entry's name (eval cells)
    config: dict[str, Any] = field(default_factory=dict)
    needs: str | None = None  # key of the train cell an eval cell waits for

    @property
    def key(self) -> str:
        seed = "" if self.seed is None else f"/seed {self.seed}"
        bench = f"/{self.benchmark}" if self.benchmark else ""
        return f"{self.kind}/{self.model}/{self.condition}{seed}{bench}"

    @property
    def label(self) -> str:
        parts = [self.model, self.condition] + ([f"seed {self.seed}"] if self.seed is not None else [])
        parts += [self.benchmark] if self.benchmark else []
        return f"{self.kind} cell {' × '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "model": self.model, "condition": self.condition,
                "seed": self.seed, "benchmark": self.benchmark, "needs": self.needs, "config": self.config}


def benchmark_names(study: StudyConfig) -> list[str]:
    """A name per benchmark entry: its 'name', else the benchmark, numbered where two would clash."""
    names: list[str] = []
    for entry in study.benchmarks:
        base = str(entry.get("name") or entry.get("benchmark") or "?")
        name, number = base, 2
        while name in names:
            name, number = f"{base} #{number}", number + 1
        names.append(name)
    return names


def eval_options(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "name"}


def train_values(study: StudyConfig, model: str, condition: str, seed: int | None) -> dict[str, Any]:
    cond = study.conditions[condition]
    values = {**study.train, **cond.train, "model": model, "data": list(cond.data)}
    if seed is not None:
        values["seed"] = seed
    return values


def expand(study: StudyConfig) -> list[Cell]:
    """Every cell of the study, checked: a bad model, dataset, option or benchmark names its cell."""
    from chemtune.evaluate.job import check_config
    from chemtune.train.config import make_config, to_yaml_dict

    for index, model in enumerate(study.models):
        check_model(model, f"models[{index}]")
    seeds: list[int | None] = list(study.seeds) if study.seeds else [None]
    names = benchmark_names(study)
    cells: list[Cell] = []
    for model in study.models:
        for condition in study.conditions:
            for seed in [None] if condition == NONE else seeds:
                train_key = None
                if condition != NONE:
                    cell = Cell("train", model, condition, seed)
                    where = f"{cell.label}, field train / conditions.{condition}.train"
                    config = make_config(train_values(study, model, condition, seed), where=where)
                    check_datasets(config.data, f"{cell.label}, field conditions.{condition}", study)
                    cell.config = to_yaml_dict(config)
                    cells.append(cell)
                    train_key = cell.key
                for index, (name, entry) in enumerate(zip(names, study.benchmarks, strict=True)):
                    cell = Cell("eval", model, condition, seed, name, needs=train_key)
                    where = f"{cell.label}, field benchmarks[{index}]"
                    options = eval_options(entry)
                    if options.get("adapter"):
                        raise ChemtuneError(f"{where}: a study sets the adapter itself (its train cells); "
                                            "leave 'adapter' out.",
                                            ko=f"{where}: 스터디는 어댑터를 직접 정합니다(학습 셀); "
                                               "'adapter'는 빼세요.")
                    check_benchmark(options.get("benchmark"), where)
                    try:
                        cell.config = check_config({**options, "model": model})
                    except ChemtuneError as error:
                        raise _named(where, error) from None
                    cells.append(cell)
    return cells


def _named(where: str, error: ChemtuneError) -> ChemtuneError:
    """The error prefixed with the cell and field; a Korean text (`.ko`, from an option's declaration)
    is kept beside the English one."""
    return ChemtuneError(f"{where}: {error}", ko=f"{where}: {error.text('ko')}")


def check_model(spec: str, where: str) -> None:
    """A preset, an existing folder or .gguf file, or a hub id 'org/name' (fetched when the job runs)."""
    from chemtune import gguf, models

    if spec in models.PRESETS:
        return
    path = Path(spec).expanduser()
    if gguf.is_gguf_path(spec) and path.is_file():
        return
    try:
        models.resolve(spec)
    except ChemtuneError as error:
        raise ChemtuneError(f"{where} ({spec!r}): {error}",
                            ko=f"{where} ({spec!r}): {error.text('ko')}") from None


def check_datasets(specs: list[str], where: str, study: StudyConfig) -> None:
    from chemtune import records
    from chemtune.train.config import dataset_weight

    for spec in specs:
        name = dataset_weight(spec)[0]
        if name in study.mixtures:
            continue  # built by the study before its first cell
        try:
            found = records.load_dataset_records(name)
        except ChemtuneError as error:
            raise ChemtuneError(f"{where}: dataset {name!r}: {error}",
                                ko=f"{where}: 데이터셋 {name!r}: {error.text('ko')}") from None
        if not found:
            raise ChemtuneError(f"{where}: dataset {name!r} has no records; add it in the Data tab or "
                                "declare it under 'mixtures'.",
                                ko=f"{where}: 데이터셋 {name!r}에 레코드가 없습니다; Data 탭에서 추가하거나 "
                                   "'mixtures' 아래에 선언하세요.")


def check_benchmark(benchmark: Any, where: str) -> None:
    from chemtune.evaluate.benchmarks import CATALOGUE
    from chemtune.evaluate.tasks import is_task_benchmark, load_task_set

    if not benchmark:
        raise ChemtuneError(f"{where}: no 'benchmark' (one of {', '.join(CATALOGUE)}, or an exam file).",
                            ko=f"{where}: 'benchmark'가 없습니다({', '.join(CATALOGUE)} 중 하나 또는 시험 "
                               "파일).")
    if is_task_benchmark(benchmark):  # the records must be there before any cell runs
        try:
            load_task_set(str(benchmark))
        except ChemtuneError as error:
            raise _named(where, error) from None
        return
    if str(benchmark) not in CATALOGUE and not Path(str(benchmark)).expanduser().is_file():
        raise ChemtuneError(f"{where}: unknown benchmark {benchmark!r}; benchmarks are "
                            f"{', '.join(CATALOGUE)}, tasks:DATASET, or an exam file that exists.",
                            ko=f"{where}: 알 수 없는 벤치마크 {benchmark!r}; 벤치마크: "
                               f"{', '.join(CATALOGUE)}, tasks:DATASET, 또는 존재하는 시험 파일을 주세요.")


def build_mixtures(study: StudyConfig) -> list[str]:
    """Build the declared mixtures that do not exist yet; one that exists must hold the same parts."""
    from chemtune import records, workspace
    from chemtune.datagen.mixtures import MixturePart, build_mixture

    built = []
    for name, parts in study.mixtures.items():
        where = f"field mixtures.{name}"
        try:
            declared = [MixturePart.model_validate(p).model_dump() for p in parts]
        except Exception as error:
            raise ChemtuneError(f"{where}: {error}") from None
        folder = workspace.folder("datasets", name)
        if (folder / records.RECORDS_FILE).exists():
            meta = workspace.read_json(folder / records.META_FILE, {}) or {}
            existing = [{k: v for k, v in p.items() if k not in ("matched", "taken")}
                        for p in meta.get("mixture") or []]
            if existing != declared:
                raise ChemtuneError(f"{where}: a dataset named {name!r} already exists with other content; "
                                    "rename the mixture or the dataset.",
                                    ko=f"{where}: {name!r}라는 데이터셋이 이미 다른 내용으로 있습니다; "
                                       "혼합이나 데이터셋의 이름을 바꾸세요.")
            continue
        try:
            build_mixture(name, declared, seed=0)
        except ChemtuneError as error:
            raise ChemtuneError(f"{where}: {error}",
                                ko=f"{where}: {error.text('ko')}") from None
        built.append(name)
    return built


def estimate(study: StudyConfig, cells: list[Cell]) -> dict[str, Any]:
    """Tokens and seconds of the training cells, from the training estimate (unknown ones say why)."""
    from chemtune.train import estimate as train_estimate

    per_cell, tokens, seconds, unknown = {}, 0, 0.0, []
    for cell in cells:
        if cell.kind != "train":
            continue
        try:
            est = train_estimate.estimate(cell.config)
        except Exception as error:  # an estimate is advice; a model not at hand must not block the plan
            unknown.append(f"{cell.key}: {error}")
            continue
        per_cell[cell.key] = {k: est.get(k) for k in ("train_examples", "steps", "run_tokens", "seconds",
                                                       "tokens_per_second", "basis")}
        tokens += int(est.get("run_tokens") or 0)
        seconds += float(est.get("seconds") or 0)
    return {"train_cells": sum(c.kind == "train" for c in cells), "eval_cells": sum(c.kind == "eval"
            for c in cells), "train_tokens": tokens, "train_seconds": round(seconds, 1),
            "cells": per_cell, "unknown": unknown}
