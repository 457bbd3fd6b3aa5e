"""A study's tables: per benchmark, rows model × condition with each sub-category, the pooled average and
the mean over sub-categories (macro-F1 and accuracy); beside each tuned row its difference in accuracy
from the same model's `none` row, with a paired bootstrap interval over questions and McNemar's p; mean ±
sd over seeds; the contamination check per cell. A task benchmark's table has the tasks as sub-categories,
each task metric in place of macro-F1 and accuracy, and per metric a Δ with a stratified paired bootstrap
interval over records. Rendering and the figure are in `chemtune.study.render`.
"""

from __future__ import annotations

import statistics
from typing import Any

from chemtune import workspace
from chemtune.evaluate import tasks as task_benchmark
from chemtune.study import stats
from chemtune.study.config import NONE
from chemtune.study.plan import benchmark_names, eval_options

METRICS = ("macro_f1", "accuracy")  # an exam's
TASK_METRICS = task_benchmark.METRICS  # a task benchmark's
VIEWS = ("all", "size", "tuning-data", "original-vs-chat")


def benchmark_items(options: dict[str, Any]) -> list[Any]:
    """What a benchmark asks, as questions for the overlap check: an exam's questions, or a task
    benchmark's records (instruction and input; the answer is what the model writes)."""
    from chemtune.evaluate.benchmarks import load_exam
    from chemtune.evaluate.exam_files import Question

    if task_benchmark.is_task_benchmark(options["benchmark"]):
        task_set = task_benchmark.load_task_set(options["benchmark"], options.get("limit"))
        return [Question(id=r.id, subset=r.task, question=f"{r.instruction}\n{r.input}".strip(), choices=[],
                         answer="", lang=r.lang) for r in task_set.records]
    return load_exam(options["benchmark"], options.get("data_dir"), options.get("group_by") or "subject",
                     options.get("limit")).questions


def contamination(folder: Any) -> dict[str, dict[str, dict]]:
    """Overlap of each condition's datasets with each benchmark's questions, computed once per study."""
    path = folder.file("contamination.json")
    cached = workspace.read_json(path, None)
    if cached is not None:
        return cached
    from chemtune.evaluate.contamination import check
    from chemtune.train.config import dataset_weight

    study = folder.study()
    found: dict[str, dict[str, dict]] = {}
    for name, entry in zip(benchmark_names(study), study.benchmarks, strict=True):
        options = eval_options(entry)
        try:
            questions = benchmark_items(options)
        except Exception as error:  # e.g. a hub benchmark offline: the cell still runs, unchecked
            for condition in study.conditions:
                if condition != NONE:
                    found.setdefault(condition, {})[name] = {"error": str(error)}
            continue
        for condition, spec in study.conditions.items():
            if condition == NONE:
                continue
            datasets = list(dict.fromkeys(dataset_weight(item)[0] for item in spec.data))
            try:
                report = check(questions, datasets)
                found.setdefault(condition, {})[name] = {
                    "n": report["n"], "flagged": report["flagged_count"], "rate": report["flagged_rate"],
                    "examples": [{k: item[k] for k in ("id", "overlap", "dataset", "record_id")}
                                 for item in report["flagged"][:5]]}
            except Exception as error:
                found.setdefault(condition, {})[name] = {"error": str(error)}
    workspace.write_json(path, found)
    return found


def _finished_evals(cells: list[dict], model: str, condition: str, benchmark: str) -> list[dict]:
    return [c for c in cells if c["kind"] == "eval" and c["model"] == model and c["condition"] == condition
            and c["benchmark"] == benchmark and c["status"] == "done" and c.get("run_id")]


def is_task_table(table: dict[str, Any]) -> bool:
    return table.get("kind") == "tasks"


def _scores(results: dict) -> dict[str, Any]:
    if results.get("kind") == "tasks":  # a task benchmark: its average is already the mean over tasks
        def keep(scores: dict) -> dict:
            return {k: scores[k] for k in ("n", *TASK_METRICS) if scores.get(k) is not None}

        return {"subsets": {name: keep(s) for name, s in results["subsets"].items()},
                "average": keep(results["average"]), "mean": keep(results["average"])}
    keep = ("n", "accuracy", "macro_f1")
    return {"subsets": {name: {k: s.get(k) for k in keep} for name, s in results["subsets"].items()},
            "average": {k: results["average"].get(k) for k in keep},
            "mean": {k: results["mean"].get(k) for k in ("accuracy", "macro_f1")}}


def _combine(per_seed: list[dict]) -> tuple[dict, dict | None]:
    """Mean over seeds of every figure (n kept), and the standard deviation where there are several."""
    def merge(parts: list[dict], spread: bool) -> dict:
        out = {}
        for key, value in parts[0].items():
            values = [p[key] for p in parts if p.get(key) is not None]
            if key == "n" or not values:
                out[key] = value
            else:
                out[key] = statistics.stdev(values) if spread else statistics.fmean(values)
        return out

    def walk(spread: bool) -> dict:
        subsets = list(per_seed[0]["subsets"])
        return {"subsets": {s: merge([p["subsets"][s] for p in per_seed if s in p["subsets"]], spread)
                            for s in subsets},
                "average": merge([p["average"] for p in per_seed], spread),
                "mean": merge([p["mean"] for p in per_seed], spread)}

    return walk(False), walk(True) if len(per_seed) > 1 else None


def _correct(eval_id: str) -> dict[str, bool]:
    from chemtune.evaluate.job import load_predictions

    return {str(row["id"]): bool(row.get("correct")) for row in load_predictions(eval_id)}


def _delta(tuned_ids: list[str], base_id: str) -> dict[str, Any] | None:
    """Δ accuracy of the tuned row (mean over its seeds) against the untuned one, on shared questions."""
    base = _correct(base_id)
    tuned = [_correct(eval_id) for eval_id in tuned_ids]
    questions = [q for q in base if all(q in t for t in tuned)]
    if not questions:
        return None
    base_vec = [float(base[q]) for q in questions]
    tuned_vec = [statistics.fmean(float(t[q]) for t in tuned) for q in questions]
    low, high = stats.paired_bootstrap(tuned_vec, base_vec)
    # With several seeds each is tested on its own; the largest p is the one reported (conservative).
    p = max(stats.mcnemar_p([t[q] for q in questions], [base[q] for q in questions]) for t in tuned)
    return {"accuracy": statistics.fmean(tuned_vec) - statistics.fmean(base_vec), "ci_low": low,
            "ci_high": high, "p_mcnemar": p, "excludes_zero": low > 0 or high < 0, "n": len(questions)}


def task_statistics(eval_id: str, metric: str) -> dict[str, dict[str, list[float]]]:
    """Per task, each scored record's statistics for `metric` (records it does not apply to left out)."""
    from chemtune.evaluate.job import load_predictions
    from chemtune.evaluate.task_metrics import record_statistics

    out: dict[str, dict[str, list[float]]] = {}
    for row in load_predictions(eval_id):
        found = record_statistics(metric, row)
        if found is not None:
            out.setdefault(str(row.get("task") or row.get("subset")), {})[str(row["id"])] = found
    return out


def seed_statistics(eval_ids: list[str], metric: str) -> dict[str, dict[str, Any]]:
    """Per task, each record's statistics averaged over a row's seeds (records every seed scored)."""
    import numpy as np

    per_seed = [task_statistics(eval_id, metric) for eval_id in eval_ids]
    return {task: {i: np.mean([seed[task][i] for seed in per_seed], axis=0) for i in rows
                   if all(i in seed.get(task, {}) for seed in per_seed)}
            for task, rows in per_seed[0].items()}


def task_value(metric: str) -> Any:
    from chemtune.evaluate.task_metrics import metric_from_statistics

    def value(total: Any) -> float:
        found = metric_from_statistics(metric, [float(c) for c in total])
        return float("nan") if found is None else found

    return value


def _task_delta(tuned_ids: list[str], base_id: str, metrics: list[str]) -> dict[str, Any] | None:
    """Per metric, Δ of the average over tasks (the tuned row's seeds averaged record by record) from the
    untuned row, with a stratified paired bootstrap interval over the records both answered."""
    import numpy as np

    out, records = {}, 0
    for metric in metrics:
        base = task_statistics(base_id, metric)
        tuned = seed_statistics(tuned_ids, metric)
        paired_base, paired_tuned = {}, {}
        for task, rows in base.items():
            ids = [i for i in rows if i in tuned.get(task, {})]
            if ids:
                paired_base[task] = np.array([rows[i] for i in ids])
                paired_tuned[task] = np.array([tuned[task][i] for i in ids])
        if not paired_base:
            continue
        value = task_value(metric)
        point = statistics.fmean(value(paired_tuned[t].sum(axis=0)) - value(paired_base[t].sum(axis=0))
                                 for t in paired_base)
        low, high = stats.task_average_interval(paired_tuned, paired_base, value)
        out[metric] = {"delta": point, "ci_low": low, "ci_high": high, "excludes_zero": low > 0 or high < 0}
        records = max(records, sum(len(rows) for rows in paired_base.values()))
    return {"metrics": out, "n": records} if out else None


def benchmark_table(study: Any, cells: list[dict], benchmark: str, overlap: dict) -> dict[str, Any]:
    """One benchmark's table as data: its sub-categories, rows, and the published reference rows."""
    from chemtune.evaluate.job import load_results

    rows, subsets, base_ids, kind = [], [], {}, "exam"
    for model in study.models:
        for condition in study.conditions:
            done = _finished_evals(cells, model, condition, benchmark)
            if not done:
                continue
            results = [load_results(c["run_id"]) for c in done]
            kind = "tasks" if results[0].get("kind") == "tasks" else kind
            for result in results:
                subsets += [s for s in result.get("subset_order") or result["subsets"]
                            if s not in subsets and s in result["subsets"]]
            values, spread = _combine([_scores(r) for r in results])
            eval_ids = [c["run_id"] for c in done]
            if condition == NONE:
                base_ids[model] = eval_ids[0]
            check = None if condition == NONE else overlap.get(condition, {}).get(benchmark)
            rows.append({"model": model, "condition": condition, **values, "sd": spread,
                         "seeds": [c["seed"] for c in done], "eval_ids": eval_ids, "delta": None,
                         "contamination": check})
    metrics = [m for m in TASK_METRICS if any(m in r["average"] for r in rows)] if kind == "tasks" else []
    for row in rows:
        if row["condition"] != NONE and row["model"] in base_ids:
            base_id = base_ids[row["model"]]
            row["delta"] = (_task_delta(row["eval_ids"], base_id, metrics) if kind == "tasks"
                            else _delta(row["eval_ids"], base_id))
    reference = [r for r in study.reference if r.get("benchmark") in (None, benchmark)]
    table = {"benchmark": benchmark, "subsets": subsets, "rows": rows, "reference": reference}
    return {**table, "kind": "tasks", "metrics": metrics} if kind == "tasks" else table


def tables(study_id: str) -> dict[str, Any]:
    """Every benchmark's table from the cells finished so far (partial while the study runs)."""
    from chemtune.study.runner import StudyFolder, status

    current = status(study_id)
    folder = StudyFolder(study_id)
    study = folder.study()
    overlap = contamination(folder)
    out = {name: benchmark_table(study, current["cells"], name, overlap) for name in benchmark_names(study)}
    return {"study_id": study_id, "status": current["status"], "tables": out}


def view(table: dict[str, Any], name: str, models: list[str], conditions: list[str]) -> dict[str, Any]:
    """A paper view of a table: `size` (Tables 7–8) the untuned rows; `tuning-data` (9–10) each model's
    conditions in turn; `original-vs-chat` (11–12) each condition's models side by side."""
    if name not in VIEWS:
        from chemtune.errors import ChemtuneError

        raise ChemtuneError(f"Unknown view {name!r}; views: {', '.join(VIEWS)}.",
                            ko=f"알 수 없는 보기 {name!r}; 보기: {', '.join(VIEWS)}.")
    rows = list(table["rows"])
    if name == "size":
        rows = [r for r in rows if r["condition"] == NONE]
    elif name == "tuning-data":
        rows.sort(key=lambda r: (models.index(r["model"]), conditions.index(r["condition"])))
    elif name == "original-vs-chat":
        rows.sort(key=lambda r: (conditions.index(r["condition"]), models.index(r["model"])))
    # The full table carries the published untuned rows; each paper view carries its own table's rows.
    shown = "size" if name == "all" else name
    reference = [r for r in table.get("reference", []) if r.get("view") in (None, shown)]
    return {**table, "rows": rows, "reference": reference, "view": name}
