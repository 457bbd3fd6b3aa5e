"""What the Evaluate tab lists and shows, read from the eval run folders (the UI holds no state)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chemtune import jobs
from chemtune.errors import ChemtuneError
from chemtune.evaluate.job import RESULTS_FILE, load_predictions

# Column ids and their English headers (the Evaluate tab shows them in its language).
RESULT_COLUMNS = ["sub-category", "n", "accuracy", "macro-F1", "micro-F1", "unparsed", "unparsed %"]
QUESTION_COLUMNS = ["#", "id", "sub-category", "gold", "predicted", "correct", "read by"]
QUESTION_FILTERS = ("all", "wrong", "unparsed", "correct")
EVAL_CHOICE = "{label} · {benchmark} · {method} {shots}-shot · acc {accuracy} · {eval_id}"
ADAPTER_CHOICE = "{run_id} (base {model})"


def finished_evals() -> list[dict[str, Any]]:
    """Finished evaluations with results, newest first: eval_id, label, benchmark, method, created."""
    from chemtune import workspace

    rows = []
    for run in jobs.list_runs(kind="eval"):
        path = Path(run["run_dir"]) / RESULTS_FILE
        if run.get("status") == "done" and path.exists():
            results = workspace.read_json(path, {}) or {}
            rows.append(
                {
                    "eval_id": run["run_id"],
                    "label": results.get("label"),
                    "benchmark": results.get("benchmark"),
                    "method": results.get("method"),
                    "shots": results.get("shots"),
                    "created": run.get("created"),
                    "accuracy": (results.get("average") or {}).get("accuracy"),
                }
            )
    return rows


def eval_choices(template: str = EVAL_CHOICE, methods: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(shown text, eval id) for pickers; `template` and `methods` word it (the page's language)."""
    choices = []
    for row in finished_evals():
        accuracy = f"{row['accuracy']:.1%}" if row["accuracy"] is not None else "–"
        method = str(row["method"])
        shown = template.format(label=row["label"], benchmark=Path(str(row["benchmark"])).name,
                                method=(methods or {}).get(method, method), shots=row["shots"],
                                accuracy=accuracy, eval_id=row["eval_id"])
        choices.append((shown, row["eval_id"]))
    return choices


def adapter_choices(template: str = ADAPTER_CHOICE) -> list[tuple[str, str]]:
    """(shown text, train run id) for finished train runs that saved an adapter."""
    from chemtune.chat.adapters import trained_adapters

    return [(template.format(run_id=row["run_id"], model=row["model"] or "?"), row["run_id"])
            for row in trained_adapters()]


def adapter_base_model(run_id: str) -> str | None:
    """The base model a train run tuned, so the model picker can follow the adapter."""
    from chemtune.chat.adapters import run_base_model

    try:
        return run_base_model(run_id)
    except ChemtuneError:
        return None


def results_rows(results: dict, pooled: str = "average (all questions)",
                 mean: str = "mean of sub-categories") -> list[list[Any]]:
    """One row per sub-category, then the pooled average and the mean over sub-categories (named as
    `pooled` and `mean` give them)."""

    def row(name: str, s: dict) -> list[Any]:
        return [
            name,
            s.get("n"),
            _pct(s.get("accuracy")),
            _pct(s.get("macro_f1")),
            _pct(s.get("micro_f1")),
            s.get("unparsed", "–"),
            _pct(s.get("unparsed_rate")),
        ]

    rows = [row(name, s) for name, s in results.get("subsets", {}).items()]
    rows.append(row(pooled, results.get("average", {})))
    rows.append(row(mean, results.get("mean", {})))
    return rows


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}"


def question_rows(
    eval_id: str, which: str = "all", subset: str | None = None, rule_names: dict[str, str] | None = None,
    no_answer: tuple[str, str] = ("unparsed", "failed"),
) -> list[list[Any]]:
    """The per-question table: index into predictions.jsonl, id, subset, gold, predicted, correct, and
    the rule that read a generated answer (named through `rule_names`, e.g. in the page's language);
    `no_answer` names a prediction that is missing (unparsed, or failed at the endpoint)."""
    names = rule_names or {}
    rows = []
    for index, p in enumerate(load_predictions(eval_id)):
        if subset not in (None, "", "all") and p["subset"] != subset:
            continue
        if (
            (which == "wrong" and p["correct"])
            or (which == "correct" and not p["correct"])
            or (which == "unparsed" and p.get("pred"))
        ):
            continue
        rows.append(
            [
                index,
                p["id"],
                p["subset"],
                p["gold"],
                p.get("pred") or (no_answer[1] if p.get("error") else no_answer[0]),
                "✓" if p["correct"] else "✗",
                # how a generated answer was read; log-likelihood rows are not read from text
                names.get(p.get("read_by"), p.get("read_by")) or "–",
            ]
        )
    return rows


def question_detail(eval_id: str, index: int) -> dict[str, Any]:
    """One prediction row, with its options lettered."""
    predictions = load_predictions(eval_id)
    if not 0 <= index < len(predictions):
        return {}
    p = predictions[index]
    letters = "ABCDE"
    options = "\n".join(
        f"{'**' if letters[i] == p['gold'] else ''}{letters[i]}. {c}"
        f"{'**' if letters[i] == p['gold'] else ''}  "
        for i, c in enumerate(p["choices"])
    )
    return {**p, "options": options}
