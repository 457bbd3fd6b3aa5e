"""A cell is found again by its config: any run or evaluation in the workspace with the same options (the
defaults filled in) is the cell's, whoever started it; one option different is another run."""

from __future__ import annotations

import pytest

from chemtune import jobs, workspace
from chemtune.study import config, plan
from chemtune.study.cells import find_run, job_config, preview

STUDY = {"name": "reuse", "models": ["tiny"], "conditions": {"none": [], "all": ["sample"]},
         "train": {"max_steps": 2}, "benchmarks": [{"benchmark": "sample"}]}


def fake_run(kind: str, run_id: str, values: dict, status: str, created: str = "2026-01-01T00:00:00") -> str:
    """A run folder as the job system leaves it (config.yaml, status.json), without running anything."""
    home = "runs" if kind == "train" else "evals"
    path = workspace.folder(home, run_id, create=True)
    workspace.write_yaml(path / "config.yaml", {"kind": kind, **values})
    workspace.write_json(path / "status.json", {"status": status, "kind": kind, "run_id": run_id,
                                                "created": created})
    if kind == "train" and status == "done":
        (path / "adapter").mkdir()
        (path / "adapter" / "adapter_config.json").write_text("{}")
    return run_id


@pytest.fixture
def cells() -> dict[str, plan.Cell]:
    return {c.key: c for c in plan.expand(config.parse(STUDY))}


def test_a_finished_run_with_the_same_options_is_reused_even_when_written_out_in_full(cells) -> None:
    train = cells["train/tiny/all"]
    # As the Train tab would have written it: every option spelled out, in another order.
    fake_run("train", "train-by-hand", dict(reversed(list(train.config.items()))), "done")
    run, how = find_run("train", train.config)
    assert (run.run_id, how) == ("train-by-hand", "reuse")
    # The untuned evaluation only names what differs from the defaults, like `chemtune eval` might.
    fake_run("eval", "eval-by-hand", {"model": "tiny", "benchmark": "sample"}, "done")
    run, how = find_run("eval", cells["eval/tiny/none/sample"].config)
    assert (run.run_id, how) == ("eval-by-hand", "reuse")


def test_one_option_different_is_another_run(cells) -> None:
    train = cells["train/tiny/all"]
    fake_run("train", "train-other", {**train.config, "max_steps": 3}, "done")
    fake_run("eval", "eval-other", {"model": "tiny", "benchmark": "sample", "shots": 2}, "done")
    assert find_run("train", train.config) == (None, "start")
    assert find_run("eval", cells["eval/tiny/none/sample"].config) == (None, "start")


def test_done_wins_then_active_then_a_stopped_run_resumes_and_a_failed_one_starts_again(cells) -> None:
    train = cells["train/tiny/all"]
    fake_run("train", "train-failed", train.config, "failed", "2026-01-04T00:00:00")
    assert find_run("train", train.config) == (None, "start")
    fake_run("train", "train-stopped", train.config, "interrupted", "2026-01-03T00:00:00")
    run, how = find_run("train", train.config)
    assert (run.run_id, how) == ("train-stopped", "resume")
    fake_run("train", "train-queued", train.config, "queued", "2026-01-02T00:00:00")
    run, how = find_run("train", train.config)
    assert (run.run_id, how) == ("train-queued", "reuse")
    fake_run("train", "train-done", train.config, "done", "2026-01-01T00:00:00")
    run, how = find_run("train", train.config)
    assert (run.run_id, how) == ("train-done", "reuse")


def test_an_evaluation_of_a_tuned_model_is_keyed_by_its_training_run(cells) -> None:
    train, evaluation = cells["train/tiny/all"], cells["eval/tiny/all/sample"]
    fake_run("train", "train-a", train.config, "done")
    assert job_config(evaluation, "train-a")["adapter"] == "train-a"
    fake_run("eval", "eval-of-a", job_config(evaluation, "train-a"), "done")
    rows = {row["key"]: row for row in preview(list(cells.values()))}
    assert rows["train/tiny/all"] == {**rows["train/tiny/all"], "status": "done", "run_id": "train-a"}
    assert rows["eval/tiny/all/sample"]["run_id"] == "eval-of-a"
    assert rows["eval/tiny/none/sample"]["status"] == "pending"
    # The same evaluation of another training run (another seed, other data) is not this cell's.
    fake_run("train", "train-b", {**train.config, "seed": 7}, "done")
    assert find_run("eval", job_config(evaluation, "train-b")) == (None, "start")
    assert jobs.run_folder("eval-of-a").status()["status"] == "done"
