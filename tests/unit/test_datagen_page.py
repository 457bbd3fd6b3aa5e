"""Data tab handlers without a browser: user tasks, the settings form, dataset views and mixtures."""

from __future__ import annotations

import pandas as pd
import pytest

from chemtune.errors import ChemtuneError
from pages import data_handlers as h

FORM = dict(task="keywords", lang="en", prop="water_uptake", instruction="", base_url="http://127.0.0.1:9/v1",
            model="gpt-4o-mini", temperature=0, concurrency=4, max_tokens=256, dedup=True, threshold=0.9)


def test_saved_user_task_joins_the_task_choices() -> None:
    message, update = h.save_task("reaction_yield", "Extract the yield.", "yield, conditions", "en")
    assert "reaction_yield" in message
    assert ("reaction_yield", "reaction_yield") in update["choices"]
    instruction, _ = h.fill_instruction("reaction_yield", "en", "")
    assert '"yield", "conditions"' in instruction


def test_form_becomes_a_generate_config_with_the_edited_price_table() -> None:
    prices = pd.DataFrame([["gpt-4o-mini", "0.2", "0.8"]], columns=h.PRICE_HEADERS)
    config = h._config(**FORM, prices=prices, batch_api=True)
    assert config.prices == {"gpt-4o-mini": {"input": 0.2, "output": 0.8}}
    assert config.instruction is None and config.batch_api and config.dedup_threshold == 0.9
    edited = h._config(**{**FORM, "instruction": "List 3 keywords as JSON."}, prices=prices)
    assert edited.instruction == "List 3 keywords as JSON."
    with pytest.raises(ChemtuneError, match="prices must be numbers"):
        h._config(**FORM, prices=pd.DataFrame([["gpt-4o", "cheap", "1"]], columns=h.PRICE_HEADERS))


def test_property_choice_rewrites_the_instruction() -> None:
    instruction, picker = h.fill_instruction("extract_property", "en", "ion_conductivity")
    assert "ion conductivity" in instruction and '"IC"' in instruction
    assert picker["visible"] is True


def test_mixture_table_builds_a_dataset_and_the_view_shows_it() -> None:
    parts = pd.DataFrame([["sample", "ko", "qa", 1.0], ["sample", "en", "", 0.1]], columns=h.MIX_HEADERS)
    message, overview, picker = h.build_mix(parts, "mix-ko", 0, "en")
    assert "mix-ko" in message and "mix-ko" in picker["choices"]
    summary, counts, lengths, rows, failures = h.show_dataset("mix-ko", 1, "en")
    assert "mix-ko" in summary and rows and counts is not None and lengths is not None
    assert h.delete_dataset("mix-ko", False, "en")[0].startswith("Tick")
    assert "Deleted" in h.delete_dataset("mix-ko", True, "en")[0]


def test_a_bad_mixture_ratio_is_one_line_naming_the_part_and_field() -> None:
    parts = pd.DataFrame([["sample", "ko", "qa", 1.0], ["sample", "en", "", -2]], columns=h.MIX_HEADERS)
    message, overview, picker = h.build_mix(parts, "mix-bad", 0, "en")
    assert message == "⚠️ Mixture part 2, ratio: Input should be greater than or equal to 0 (got -2.0)."


def test_preview_reports_a_bad_source_instead_of_raising() -> None:
    message, _ = h.run_preview(3, "", "en", "paste", "   ", None, None, "", "train", *FORM.values(), None)
    assert message.startswith("⚠️") and "no text" in message


def test_import_handler_converts_an_uploaded_file(tmp_path) -> None:
    path = tmp_path / "camel.jsonl"
    path.write_text('{"message_1": "What is pH 7?", "message_2": "Neutral."}\n', encoding="utf-8")
    message, overview, picker = h.do_import(str(path), "", "camel", "camel-set", True, "en")
    assert "Imported 1 records into **camel-set**" in message
    assert "camel-set" in [row[0] for row in overview]
    message, _, _ = h.do_import(None, "", "auto", "empty", True, "en")
    assert message.startswith("⚠️")


def test_a_broken_failures_line_is_skipped_and_named_in_the_dataset_view() -> None:
    from chemtune import workspace
    from chemtune.records import Record, save_dataset

    folder = save_dataset("good", [Record(instruction="q", output="a")])
    (folder / "failures.jsonl").write_text('{"kind": "generation", "reason": "timeout"}\n{"kind": ',
                                           encoding="utf-8")
    save_dataset("bad", [Record(instruction="q2", output="a2")])
    (workspace.datasets_dir() / "bad" / "meta.json").write_text("{", encoding="utf-8")
    summary, _, _, rows, failures = h.show_dataset("good", 1, "en")
    assert "failures.jsonl, line 2: not valid JSON" in summary
    assert [f[2] for f in failures] == ["timeout"] and rows
    overview, picker = h.refresh_datasets()
    assert {"good", "bad"} <= set(picker["choices"])
    assert h.show_dataset("bad", 1, "en")[0].startswith("⚠️")


def test_the_task_area_names_a_broken_tasks_json_entry_and_keeps_the_choices(isolated_workspace) -> None:
    (isolated_workspace / "tasks.json").parent.mkdir(parents=True, exist_ok=True)
    (isolated_workspace / "tasks.json").write_text('{"mine": {"instruction": 3}}', encoding="utf-8")
    assert "tasks.json, task 'mine'" in h.task_problems()
    assert "keywords" in [name for _, name in h.task_choices("en")]
