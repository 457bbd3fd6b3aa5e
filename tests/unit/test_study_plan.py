"""A study declaration expands into cells; bad input names the cell and the field; a changed config is a
new study."""

from __future__ import annotations

import pytest

from chemtune.errors import ChemtuneError
from chemtune.study import config, plan

BASE = {
    "name": "grid",
    "models": ["tiny", "smollm2-135m-instruct"],
    "conditions": {"none": [], "all": ["sample"], "half": {"data": ["sample:0.5"], "train": {"epochs": 1}}},
    "train": {"max_steps": 3, "lora_rank": 4},
    "benchmarks": [{"benchmark": "sample"}, {"benchmark": "sample", "shots": 1, "name": "sample 1-shot"}],
    "seeds": [1, 2],
}


def test_plan_expands_one_run_per_tuned_cell_and_seed_and_one_eval_per_benchmark() -> None:
    cells = plan.expand(config.parse(BASE))
    train = [c for c in cells if c.kind == "train"]
    evals = [c for c in cells if c.kind == "eval"]
    assert len(train) == 2 * 2 * 2  # models × tuned conditions × seeds
    assert len(evals) == 2 * (1 + 2 * 2) * 2  # models × (none once + tuned × seeds) × benchmarks
    assert len({c.key for c in cells}) == len(cells)
    assert {c.config["seed"] for c in train} == {1, 2}
    assert all(c.config["max_steps"] == 3 and c.config["lora_rank"] == 4 for c in train)
    assert {c.benchmark for c in evals} == {"sample", "sample 1-shot"}
    assert {c.config["shots"] for c in evals if c.benchmark == "sample 1-shot"} == {1}
    # An evaluation of a tuned model waits for its own training cell; the untuned one for nothing.
    keys = {c.key for c in train}
    assert all(c.needs in keys for c in evals if c.condition != "none")
    assert all(c.needs is None and c.seed is None for c in evals if c.condition == "none")


def test_a_condition_changes_only_its_own_training_options() -> None:
    cells = plan.expand(config.parse(BASE))
    half = [c for c in cells if c.kind == "train" and c.condition == "half"]
    whole = [c for c in cells if c.kind == "train" and c.condition == "all"]
    assert {c.config["epochs"] for c in half} == {1.0}
    assert {c.config["epochs"] for c in whole} == {3.0}  # the training default
    assert {tuple(c.config["data"]) for c in half} == {("sample:0.5",)}


@pytest.mark.parametrize(("change", "named"), [
    ({"conditions": {"none": [], "ko": ["no-such-set"]}}, ["train cell tiny × ko", "conditions.ko",
                                                          "no-such-set"]),
    ({"models": ["tiny", "./no/such/model"]}, ["models[1]", "./no/such/model"]),
    ({"benchmarks": [{"benchmark": "no-such-exam"}]}, ["eval cell tiny × none × no-such-exam",
                                                       "benchmarks[0]", "no-such-exam"]),
    ({"benchmarks": [{"benchmark": "sample", "shots": 99}]}, ["benchmarks[0]", "shots"]),
    ({"train": {"lora_rank": 0}}, ["train cell tiny × all", "LoRA rank"]),
    ({"train": {"no_such_option": 1}}, ["train cell tiny × all", "no_such_option"]),
    ({"conditions": {"none": ["sample"]}}, ["conditions", "'none' is the untuned model"]),
    ({"seeds": [1, 1]}, ["seeds"]),
    ({"colour": "red"}, ["'colour' is not a study key"]),
])
def test_bad_input_names_the_cell_and_the_field(change: dict, named: list[str]) -> None:
    values = {**BASE, "models": ["tiny"], "seeds": None,
              "conditions": {"none": [], "all": ["sample"]}, **change}
    with pytest.raises(ChemtuneError) as caught:
        plan.expand(config.parse(values))
    for part in named:
        assert part in str(caught.value)


def test_the_same_config_is_the_same_study_and_a_changed_one_is_new() -> None:
    first = config.study_id(config.parse(BASE))
    assert config.study_id(config.parse(dict(BASE))) == first
    assert first.startswith("grid-")
    changed = config.study_id(config.parse({**BASE, "train": {"max_steps": 4, "lora_rank": 4}}))
    assert changed != first and changed.startswith("grid-")


def test_templates_are_shipped_and_expand() -> None:
    assert {"paper", "paper-mini"} <= set(config.templates())
    mini = config.load("paper-mini")
    assert mini.models == ["smollm2-135m-instruct", "gemma-3-270m"]
    assert list(mini.conditions) == ["none", "English", "Korean", "Total"]
    paper = config.load("paper")
    assert paper.models == ["llama-2-13b", "llama-2-13b-chat"]
    assert [b["benchmark"] for b in paper.benchmarks] == ["mmlu-chemistry", "kmmlu-chemistry"]
    # The paper's untuned 13B MMLU row, as published in its Table 7.
    table7 = [r for r in paper.reference if r["view"] == "size" and r["benchmark"] == "mmlu-chemistry"]
    assert table7[1]["values"] == {"high_school": 0.4286, "college": 0.3900, "mean": 0.4093}
    # Its datasets are the user's to build: the plan says which cell and field needs them.
    with pytest.raises(ChemtuneError, match=r"train cell llama-2-13b × English.*conditions.English.*chem-en"):
        plan.expand(paper)
