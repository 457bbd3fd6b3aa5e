"""The task catalogue: answers are validated against each task, user tasks persist in the workspace."""

from __future__ import annotations

import json

import pytest

from chemtune.datagen.tasks import TASKS, all_tasks, get_task, save_custom_task, validate_answer
from chemtune.errors import ChemtuneError


def test_catalogue_has_the_papers_tasks_in_english_and_korean() -> None:
    expected = {"summarize_extract", "summarize_translate", "extract_catalyst", "extract_property",
                "exam_explain", "keywords", "qa"}
    assert expected <= set(TASKS)
    for task in TASKS.values():
        assert task.instruction_text("en") and task.instruction_text("ko")
        if task.json_answer:  # JSON mode needs the word JSON in the prompt
            assert "JSON" in task.instruction_text("en") and "JSON" in task.instruction_text("ko")


def test_valid_json_answer_is_stored_as_canonical_json_text_even_inside_a_fence() -> None:
    answer = '```json\n{"summary": "벤젠의 합성.", "chemicals": ["benzene", "H2SO4"]}\n```'
    output, reason = validate_answer(TASKS["summarize_extract"], answer)
    assert reason is None
    assert json.loads(output) == {"summary": "벤젠의 합성.", "chemicals": ["benzene", "H2SO4"]}


@pytest.mark.parametrize("task, answer, reason", [
    ("summarize_extract", "{not json", "not valid JSON"),
    ("summarize_extract", '["a"]', "not an object"),
    ("summarize_extract", '{"summary": "x"}', '"chemicals"'),
    ("summarize_extract", '{"summary": "x", "chemicals": []}', "non-empty list"),
    ("summarize_translate", json.dumps({"Q1": "한 문장.", "Q2": " ".join(["단어"] * 25), "Q3": "결과"}),
     "at most 20"),
    ("extract_property", '{"AEM_MAT": {"QPPO": {"IEC": "2.1 mmol/g"}}}', "'WU'"),
    ("summarize_translate", json.dumps({"Q1": "It works. It is fast. It is cheap.", "Q2": "a", "Q3": "b"}),
     "should be in Korean"),
    ("keywords", "", "empty answer"),
])
def test_invalid_answers_fail_with_a_reason(task: str, answer: str, reason: str) -> None:
    output, why = validate_answer(TASKS[task], answer)
    assert output is None
    assert reason in why


def test_catalyst_na_and_property_dash_are_valid() -> None:
    na = json.dumps({"Q1": "Pt", "Q2": "carbon black", "Q3": "N/A", "Q4": "N/A"})
    assert validate_answer(TASKS["extract_catalyst"], na)[1] is None
    prop = json.dumps({"AEM_MAT": {"QPPO-1": {"WU": "45 %"}, "QPPO-2": {"WU": "-"}}})
    assert validate_answer(TASKS["extract_property"], prop)[1] is None


def test_free_text_task_accepts_any_non_empty_answer() -> None:
    assert validate_answer(TASKS["qa"], "  물의 끓는점은 100 °C이다. ") == ("물의 끓는점은 100 °C이다.", None)


def test_user_task_is_kept_in_the_workspace_and_validates_its_keys(isolated_workspace) -> None:
    task = save_custom_task("reaction_conditions", "Extract the reaction conditions.", "temperature, solvent")
    assert "JSON" in task.instruction_text("en")
    assert (isolated_workspace / "tasks.json").is_file()
    assert "reaction_conditions" in all_tasks()
    reloaded = get_task("reaction_conditions")
    assert validate_answer(reloaded, '{"temperature": "80 °C", "solvent": "THF"}')[1] is None
    assert "solvent" in validate_answer(reloaded, '{"temperature": "80 °C"}')[1]
    with pytest.raises(ChemtuneError, match="built-in"):
        save_custom_task("qa", "x", "a")


def test_a_broken_entry_in_tasks_json_is_skipped_and_the_other_tasks_keep_working(
        isolated_workspace, caplog: pytest.LogCaptureFixture) -> None:
    save_custom_task("formula", "Give the formula.", "formula")
    save_custom_task("mine", "Give the name.", "name")
    path = isolated_workspace / "tasks.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["mine"]["keys"][0]["type"] = "text"  # a hand edit with a wrong field name
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert get_task("keywords").name == "keywords" and get_task("formula").custom
    with caplog.at_level("WARNING"):
        assert "mine" not in all_tasks()
    assert "tasks.json, task 'mine': skipped" in caplog.text
    with pytest.raises(ChemtuneError, match="tasks.json, task 'mine'"):
        get_task("mine")


def test_tasks_json_that_is_not_json_leaves_the_built_in_tasks(isolated_workspace) -> None:
    (isolated_workspace / "tasks.json").parent.mkdir(parents=True, exist_ok=True)
    (isolated_workspace / "tasks.json").write_text('{"mine": ', encoding="utf-8")
    assert set(all_tasks()) == set(TASKS) and get_task("qa").name == "qa"
