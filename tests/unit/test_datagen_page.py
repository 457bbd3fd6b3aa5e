"""Data tab handlers without a browser: user tasks, the settings form, dataset views and mixtures.

Handlers take named values, as the page wires them: the declared options by their names plus the
page's own inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from chemtune.errors import ChemtuneError
from pages import data_datasets as d
from pages import data_handlers as h
from pages.data_form import headers
from pages.data_text import MIX_COLUMNS, PRICE_COLUMNS

FORM = dict(task="keywords", lang="en", property="water_uptake", instruction="",
            base_url="http://127.0.0.1:9/v1", model="gpt-4o-mini", temperature=0, concurrency=4,
            max_tokens=256, dedup=True, dedup_threshold=0.9, kind="paste", pasted="Zeolites are microporous.",
            language="en")


def test_saved_user_task_joins_the_task_choices() -> None:
    message, update = h.save_task("reaction_yield", "Extract the yield.", "yield, conditions", "en")
    assert "reaction_yield" in message
    assert ("reaction_yield", "reaction_yield") in update["choices"]
    instruction, _ = h.fill_instruction("reaction_yield", "en", "")
    assert '"yield", "conditions"' in instruction


def test_form_becomes_a_generate_config_with_the_edited_price_table() -> None:
    prices = pd.DataFrame([["gpt-4o-mini", "0.2", "0.8"]], columns=headers(PRICE_COLUMNS, "en"))
    config = h.generate_config({**FORM, "prices": prices, "batch_api": True})
    assert config.prices == {"gpt-4o-mini": {"input": 0.2, "output": 0.8}}
    assert config.instruction is None and config.batch_api and config.dedup_threshold == 0.9
    assert config.property is None and config.source.endswith(".txt")
    edited = h.generate_config({**FORM, "instruction": "List 3 keywords as JSON.", "prices": prices})
    assert edited.instruction == "List 3 keywords as JSON."
    with pytest.raises(ChemtuneError, match="prices must be numbers"):
        h.generate_config({**FORM, "prices": pd.DataFrame([["gpt-4o", "cheap", "1"]])})
    with pytest.raises(ChemtuneError) as refused:
        h.generate_config({**FORM, "language": "ko", "prices": pd.DataFrame([["gpt-4o", "cheap", "1"]])})
    assert refused.value.text("ko") == "가격표, 모델 'gpt-4o': 가격은 숫자여야 합니다."


def test_cleared_numbers_take_the_declared_defaults() -> None:
    config = h.generate_config({**FORM, "concurrency": None, "max_tokens": None, "base_url": " "})
    assert (config.concurrency, config.max_tokens, config.base_url) == (8, 1024, "https://api.openai.com/v1")


def test_property_choice_rewrites_the_instruction() -> None:
    instruction, picker = h.fill_instruction("extract_property", "en", "ion_conductivity")
    assert "ion conductivity" in instruction and '"IC"' in instruction
    assert picker["visible"] is True


def test_mixture_table_builds_a_dataset_and_the_view_shows_it() -> None:
    parts = pd.DataFrame([["sample", "ko", "qa", 1.0], ["sample", "en", "", 0.1]],
                         columns=headers(MIX_COLUMNS, "en"))
    message, overview, picker = d.build_mix({"parts": parts, "name": "mix-ko", "seed": 0, "language": "en"})
    assert "mix-ko" in message and "mix-ko" in picker["choices"]
    summary, counts, lengths, rows, failures = d.show_dataset("mix-ko", 1, "en")
    assert "mix-ko" in summary and len(rows) and counts is not None and lengths is not None
    assert d.delete_dataset("mix-ko", False, "en")[0].startswith("Tick")
    assert "Deleted" in d.delete_dataset("mix-ko", True, "en")[0]


def test_a_bad_mixture_ratio_is_one_line_naming_the_part_and_field() -> None:
    parts = pd.DataFrame([["sample", "ko", "qa", 1.0], ["sample", "en", "", -2]],
                         columns=headers(MIX_COLUMNS, "en"))
    message, overview, picker = d.build_mix({"parts": parts, "name": "mix-bad", "seed": 0, "language": "en"})
    assert message == "⚠️ Mixture part 2, ratio: Input should be greater than or equal to 0 (got -2.0)."


def test_preview_reports_a_bad_source_instead_of_raising() -> None:
    message, _ = h.run_preview({**FORM, "pasted": "   ", "preview_n": 3, "api_key": ""})
    assert message.startswith("⚠️") and "no text" in message


def test_import_handler_converts_an_uploaded_file(tmp_path) -> None:
    path = tmp_path / "camel.jsonl"
    path.write_text('{"message_1": "What is pH 7?", "message_2": "Neutral."}\n', encoding="utf-8")
    form = {"upload": str(path), "hf_id": "", "format": "camel", "name": "camel-set", "dedup": True,
            "dedup_threshold": 0.7, "language": "en"}
    message, overview, picker = d.do_import(form)
    assert "Imported 1 records into **camel-set**" in message
    assert "camel-set" in overview.iloc[:, 0].tolist()
    message, _, _ = d.do_import({**form, "upload": None, "format": "auto", "name": "empty"})
    assert message.startswith("⚠️")


def test_a_broken_failures_line_is_skipped_and_named_in_the_dataset_view() -> None:
    from chemtune import workspace
    from chemtune.records import Record, save_dataset

    folder = save_dataset("good", [Record(instruction="q", output="a")])
    (folder / "failures.jsonl").write_text('{"kind": "generation", "reason": "timeout"}\n{"kind": ',
                                           encoding="utf-8")
    save_dataset("bad", [Record(instruction="q2", output="a2")])
    (workspace.datasets_dir() / "bad" / "meta.json").write_text("{", encoding="utf-8")
    summary, _, _, rows, failures = d.show_dataset("good", 1, "en")
    assert "failures.jsonl, line 2: not valid JSON" in summary
    assert failures.iloc[:, 2].tolist() == ["timeout"] and len(rows)
    overview, picker = d.refresh_datasets()
    assert {"good", "bad"} <= set(picker["choices"])
    assert d.show_dataset("bad", 1, "en")[0].startswith("⚠️")


def test_the_task_area_names_a_broken_tasks_json_entry_and_keeps_the_choices(isolated_workspace) -> None:
    (isolated_workspace / "tasks.json").parent.mkdir(parents=True, exist_ok=True)
    (isolated_workspace / "tasks.json").write_text('{"mine": {"instruction": 3}}', encoding="utf-8")
    assert "tasks.json, task 'mine'" in h.task_problems()
    assert "keywords" in [name for _, name in h.task_choices("en")]


def test_the_dataset_view_speaks_korean_headers_plots_and_origin() -> None:
    summary, counts, lengths, rows, failures = d.show_dataset("sample", 1, "ko")
    assert "출처 기본 예시" in summary
    assert list(rows.columns)[:3] == ["ID", "과제", "언어"] and list(failures.columns)[0] == "종류"
    assert counts.layout.yaxis.title.text == "레코드 수" and counts.layout.legend.title.text == "언어"
    assert {trace.name for trace in counts.data} <= {"영어", "한국어"}
    assert lengths.layout.annotations[0].text == "지시문 (글자 수)"
    overview, _ = d.refresh_datasets(None, "ko")
    assert list(overview.columns) == ["이름", "레코드 수", "과제별", "언어별", "출처", "만든 시각"]
    sample = overview[overview["이름"] == "sample"].iloc[0]
    assert "키워드 20" in sample["과제별"] and "한국어 70" in sample["언어별"]
    assert sample["출처"] == "기본 예시"
    assert "키워드" in counts.data[0].x


def test_korean_task_choices_are_task_titles() -> None:
    choices = dict((value, label) for label, value in h.task_choices("ko"))
    assert choices["keywords"] == "키워드" and choices["qa"] == "질문 → 답변"
