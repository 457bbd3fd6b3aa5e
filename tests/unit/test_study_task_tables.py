"""A study's table for a task benchmark: the tasks as sub-categories, each task metric in turn, and per
metric the tuned row's Δ from the untuned one with a stratified paired bootstrap interval over records;
its exports, its figure, and the overlap of the tuning data with the scored records."""

from __future__ import annotations

import json

import pytest

from chemtune import workspace
from chemtune.datagen.tasks import all_tasks
from chemtune.evaluate import task_metrics
from chemtune.evaluate.tasks import load_task_set
from chemtune.study import config, render, runner, tables

STUDY = {"name": "tasks", "models": ["tiny"], "conditions": {"none": [], "all": ["sample"]},
         "train": {"max_steps": 2}, "benchmarks": [{"benchmark": "tasks:sample", "limit": 4}]}


def fake_task_eval(run_id: str, right: bool) -> str:
    """A finished task evaluation scored as `chemtune eval` scores one: the reference answers when
    `right`, else each record answered with the output of the record after it."""
    records = load_task_set("tasks:sample", 4).records
    catalogue = all_tasks()
    rows = []
    for index, record in enumerate(records):
        answer = record.output if right else records[(index + 1) % len(records)].output
        rows.append({"id": record.id, "subset": record.task, "task": record.task, "raw": answer,
                     "reference": record.output,
                     **task_metrics.score_answer(catalogue[record.task], record.output, answer)})
    order = list(dict.fromkeys(r.task for r in records))
    subsets = {t: task_metrics.summarize_task(catalogue[t], [r for r in rows if r["task"] == t])
               for t in order}
    average = {"n": len(rows)}
    for metric in tables.TASK_METRICS:
        values = [s[metric] for s in subsets.values() if s.get(metric) is not None]
        if values:
            average[metric] = sum(values) / len(values)
    results = {"kind": "tasks", "label": run_id, "benchmark": "tasks:sample", "subset_order": order,
               "subsets": subsets, "average": average}
    path = workspace.folder("evals", run_id, create=True)
    workspace.write_json(path / "status.json", {"status": "done", "kind": "eval", "run_id": run_id})
    workspace.write_json(path / "results.json", results)
    (path / "predictions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return run_id


@pytest.fixture
def table() -> dict:
    folder, _ = runner.prepare(config.parse(STUDY))
    folder.set_cell("eval/tiny/none/tasks:sample", run_id=fake_task_eval("eval-base", False), status="done")
    folder.set_cell("eval/tiny/all/tasks:sample", run_id=fake_task_eval("eval-tuned", True), status="done")
    return tables.tables(folder.study_id)["tables"]["tasks:sample"]


def test_a_task_table_has_the_tasks_and_a_delta_per_metric(table: dict) -> None:
    assert table["kind"] == "tasks"
    assert set(table["subsets"]) <= set(all_tasks()) and len(table["subsets"]) >= 3
    assert {"field_f1", "chrf", "valid_json", "schema_valid"} <= set(table["metrics"])
    base, tuned = table["rows"]
    assert tuned["average"]["chrf"] == pytest.approx(100) and tuned["average"]["field_f1"] == 1
    assert base["delta"] is None
    for metric in ("field_f1", "chrf"):
        found = tuned["delta"]["metrics"][metric]
        # The point is the difference of the two rows' averages, recomputed from per-record statistics.
        assert found["delta"] == pytest.approx(tuned["average"][metric] - base["average"][metric])
        assert 0 < found["ci_low"] <= found["delta"] <= found["ci_high"] and found["excludes_zero"]
    # A row against itself: no difference, and an interval that says so.
    same = tables._task_delta(base["eval_ids"], base["eval_ids"][0], table["metrics"])["metrics"]
    assert all(found["delta"] == found["ci_low"] == found["ci_high"] == 0 for found in same.values())
    # The tuning data is the dataset the records come from: every scored record is flagged.
    assert tuned["contamination"]["flagged"] == tuned["contamination"]["n"] == 28


def test_task_table_markdown_csv_latex_and_figure(table: dict) -> None:
    text = render.markdown(table, "chrf")
    assert "**tasks:sample** — chrF" in text and "Δ chrF vs none" in text and "**100.0**" in text
    assert " *" in text.split("\n")[5]  # the tuned row's Δ excludes 0
    # An exam metric asked of a task table shows the table's first metric.
    assert render.grid(table, "macro_f1")["metric"] == table["metrics"][0]
    assert "작업 평균" in render.markdown(table, "field_f1", "ko")
    lines = render.export(table, "csv").splitlines()
    assert lines[0].startswith("benchmark,model,condition,metric,")
    assert len(lines) == 1 + 2 * len(table["metrics"])
    assert render.export(table, "latex", "field_f1").startswith(r"\begin{tabular}")
    figure = render.figure(table, "en", "chrf")
    assert [trace.name for trace in figure.data] == ["tiny · none", "tiny · all"]
    assert list(figure.data[1].y)[-1] == pytest.approx(100)
    assert any(v > 0 for v in figure.data[0].error_y.array)


def test_per_record_statistics_give_back_the_task_metrics() -> None:
    records = load_task_set("tasks:sample", 4).records
    catalogue = all_tasks()
    for task in dict.fromkeys(r.task for r in records):
        rows = [task_metrics.score_answer(catalogue[task], r.output, r.output[: len(r.output) // 2])
                for r in records if r.task == task]
        summary = task_metrics.summarize_task(catalogue[task], rows)
        for metric in tables.TASK_METRICS:
            found = [task_metrics.record_statistics(metric, row) for row in rows]
            found = [f for f in found if f is not None]
            if metric not in summary:
                assert not found, (task, metric)
                continue
            total = [sum(column) for column in zip(*found, strict=True)]
            found_metric = task_metrics.metric_from_statistics(metric, total)
            assert found_metric == pytest.approx(summary[metric]), metric


def test_the_study_tab_shows_a_task_table_by_the_chosen_metric(table: dict) -> None:
    from chemtune.study.runner import list_studies
    from pages.i18n import Translator
    from pages.study import Handlers
    from pages.study_strings import STRINGS

    handlers = Handlers(Translator("en").page(STRINGS, "study"))
    study_id = list_studies()[0]["study_id"]
    _, _, text, figure, _ = handlers.poll(study_id, "all", "field_f1", "ko", None)
    assert "**tasks:sample** — 필드 F1" in text and "작업 평균" in text
    assert figure.layout.title.text.startswith("tasks:sample: 작업별 필드 F1")
    # The exam metric the radio opens with shows the table's first metric.
    _, _, text, _, _ = handlers.poll(study_id, "all", "macro_f1", "en", None)
    assert f"— {render.metric_name(table['metrics'][0])}" in text
    choices = [value for _, value in handlers.metric_choices("ko")]
    assert {"macro_f1", "accuracy", "field_f1", "chrf"} <= set(choices)


def test_a_task_benchmark_of_no_such_dataset_names_the_cell_and_field() -> None:
    from chemtune.errors import ChemtuneError

    bad = {**STUDY, "benchmarks": [{"benchmark": "tasks:no-such-set"}]}
    named = r"tiny × none × tasks:no-such-set, field benchmarks\[0\].*no-such-set"
    with pytest.raises(ChemtuneError, match=named):
        runner.prepare(config.parse(bad))
