"""Importing the paper's public sets, mixing datasets and exporting them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chemtune.datagen.export import export_dataset, push_to_hub, save_to_disk
from chemtune.datagen.importers import import_dataset, read_source_records
from chemtune.datagen.mixtures import build_mixture
from chemtune.errors import ChemtuneError
from chemtune.records import Record, load_dataset_records, save_dataset


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_hydra_alpaca_rows_become_question_answer_records(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "hydra.jsonl", [
        {"instruction": "", "input": "What is the molar mass of water?", "output": "18.015 g/mol"}])
    [record] = read_source_records(path, "hydra")
    assert (record.instruction, record.output, record.task) == ("What is the molar mass of water?",
                                                               "18.015 g/mol", "qa")


def test_camel_message_pairs_become_records_with_topic_in_meta(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "camel.jsonl",
        [
            {
                "role_1": "Chemist",
                "topic;": "Electrochemistry",
                "message_1": "Calculate E°cell for Zn|Cu.",
                "message_2": "1.10 V",
            }
        ],
    )
    [record] = read_source_records(path, "camel")
    assert record.instruction == "Calculate E°cell for Zn|Cu." and record.output == "1.10 V"
    assert record.meta["topic"] == "Electrochemistry"


def test_chemrxiv_papers_become_keyword_extraction_with_authors_keywords(tmp_path: Path) -> None:
    path = tmp_path / "chemrxiv.csv"
    path.write_text(
        'title,abstract,keywords\nMOFs,"We report a MOF for CO2 capture.","MOF; CO2 capture"\n',
        encoding="utf-8",
    )
    [record] = read_source_records(path, "chemrxiv")
    assert record.task == "keywords" and record.input == "We report a MOF for CO2 capture."
    assert json.loads(record.output) == {"keywords": ["MOF", "CO2 capture"]}


def test_hydra_row_with_a_null_input_takes_the_question_from_the_instruction(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "hydra.jsonl", [
        {"instruction": "What is the pH of pure water?", "input": None, "output": "7"}])
    [record] = read_source_records(path, "hydra")
    assert (record.instruction, record.input) == ("What is the pH of pure water?", "")


def test_chemrxiv_keywords_starting_with_a_bracket_are_split_not_stripped(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "chemrxiv.jsonl", [
        {"abstract": "A photochemical route.", "keywords": "[2+2] photocycloaddition; Diels-Alder"},
        {"abstract": "A MOF for CO2 capture.", "keywords": '["MOF", "CO2 capture"]'}])
    keywords = [json.loads(r.output)["keywords"] for r in read_source_records(path, "chemrxiv")]
    assert keywords == [["[2+2] photocycloaddition", "Diels-Alder"], ["MOF", "CO2 capture"]]


def test_import_names_the_line_of_a_bad_row(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "camel.jsonl", [{"message_1": "q", "message_2": "a"}, {"message_1": "q only"}])
    with pytest.raises(ChemtuneError, match=r"camel.jsonl, line 2: field\(s\) 'message_2' missing"):
        read_source_records(path, "camel")


def test_sharegpt_file_imports_as_a_dataset_with_dedup(tmp_path: Path) -> None:
    pairs = [("산화수란?", "산화수는 원자가 전자를 모두 잃거나 얻었다고 가정한 가상적 전하이다."),
             ("pH 7인 용액은 어떤 성질인가요?", "25 °C에서 pH 7인 수용액은 중성이다.")]
    rows = [{"conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": a}]}
            for q, a in pairs * 2]
    result = import_dataset(_jsonl(tmp_path / "chat.jsonl", rows), "chat-ko", dedup=True)
    assert result["imported"] == 2 and result["deduplicated"] == 2
    assert {r.lang for r in load_dataset_records("chat-ko")} == {"ko"}


def _save_mixed_sources() -> None:
    en = [
        Record(task="qa", instruction=f"Question {i} about acids?", output=f"Answer {i}.") for i in range(10)
    ]
    ko = [Record(task="qa", instruction=f"산에 관한 질문 {i}?", output=f"답변 {i}입니다.") for i in range(6)]
    kw = [
        Record(task="keywords", instruction="List keywords.", input=f"Text {i}", output='{"keywords": ["a"]}')
        for i in range(4)
    ]
    save_dataset("en-set", en + kw)
    save_dataset("ko-set", ko)


def test_mixture_filters_by_language_and_task_with_ratios() -> None:
    _save_mixed_sources()
    result = build_mixture(
        "total",
        [
            {"dataset": "en-set", "langs": ["en"], "tasks": ["qa"], "ratio": 0.5},
            {"dataset": "ko-set", "langs": ["ko"], "ratio": 2},
        ],
    )
    assert [(p["matched"], p["taken"]) for p in result["parts"]] == [(10, 5), (6, 12)]
    records = load_dataset_records("total")
    assert len(records) == 17
    assert sum(r.lang == "ko" for r in records) == 12 and all(r.task == "qa" for r in records)
    with pytest.raises(ChemtuneError, match="matches no record"):
        build_mixture("none", [{"dataset": "ko-set", "tasks": ["keywords"]}])


@pytest.mark.parametrize(
    "fmt, check",
    [
        ("alpaca", lambda row: set(row) >= {"instruction", "input", "output"}),
        ("sharegpt", lambda row: row["conversations"][0]["from"] == "human"),
        ("messages", lambda row: row["messages"][-1]["role"] == "assistant"),
    ],
)
def test_export_writes_each_format(tmp_path: Path, fmt: str, check) -> None:
    _save_mixed_sources()
    result = export_dataset("ko-set", tmp_path / f"out-{fmt}.jsonl", fmt)
    rows = [json.loads(line) for line in Path(result["path"]).read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6 and all(check(row) for row in rows)


def test_save_to_disk_loads_back_with_datasets(tmp_path: Path) -> None:
    import datasets

    _save_mixed_sources()
    save_to_disk("ko-set", tmp_path / "hf")
    loaded = datasets.load_from_disk(str(tmp_path / "hf"))
    assert loaded.num_rows == 6 and loaded[0]["lang"] == "ko"


def test_push_to_hub_offline_fails_with_a_clear_message() -> None:
    _save_mixed_sources()
    with pytest.raises(ChemtuneError, match="Could not push 'ko-set' to the Hub") as caught:
        push_to_hub("ko-set", "someone/chem-ko", token="hf_secret_token_value")
    assert "hf_secret_token_value" not in str(caught.value)


def test_push_to_hub_uploads_for_real() -> None:
    repo, token = os.environ.get("CHEMTUNE_TEST_HUB_REPO"), os.environ.get("HF_TOKEN")
    if os.environ.get("HF_HUB_OFFLINE") == "1" or not repo or not token:
        pytest.skip(
            "needs internet access to huggingface.co, $HF_TOKEN with write access and "
            "$CHEMTUNE_TEST_HUB_REPO (user/dataset); this machine is offline"
        )
    _save_mixed_sources()
    result = push_to_hub("ko-set", repo, token=token, private=True)
    assert result["count"] == 6


def test_hf_path_imports_a_local_data_file_as_generate_reads_it(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "camel.jsonl", [
        {"message_1": "What is the oxidation state of Mn in KMnO4?", "message_2": "It is +7."},
        {"message_1": "과산화수소의 분자식은?", "message_2": "H2O2이다."},
    ])
    records = read_source_records(f"hf:{path}", "camel")
    assert [r.output for r in records] == ["It is +7.", "H2O2이다."]
