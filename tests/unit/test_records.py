"""The instruction record: validation, file formats, and named datasets in the workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.formats import export_records, load_records, to_hf_dataset
from chemtune.records import (
    SAMPLE_PATH,
    Record,
    delete_dataset,
    detect_lang,
    list_datasets,
    load_dataset_records,
    read_jsonl,
    save_dataset,
    validate_record,
    write_jsonl,
)

RECORDS = [
    Record(instruction="What is the molar mass of H2SO4?", output="98.08 g/mol", task="calc"),
    Record(
        system="당신은 화학 전문가입니다.",
        instruction="다음 화합물의 IUPAC 이름을 쓰시오.",
        input="CH3CH2OH",
        output="에탄올 (ethanol)",
        task="nomenclature",
    ),
    Record(
        system="You are a chemistry tutor.", instruction="NaCl 수용액의 pH는?", output="약 7, 중성입니다."
    ),
    Record(instruction="Balance: H2 + O2 -> H2O", output="2H2 + O2 -> 2H2O", lang="en"),
]


@pytest.fixture(autouse=True)
def workspace_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("CHEMTUNE_HOME", str(home))
    return home


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(ChemtuneError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def essence(records: list[Record]) -> list[tuple]:
    return [(r.system, r.instruction, r.input, r.output, r.lang) for r in records]


# ---- the record ----------------------------------------------------------------------------------


def test_missing_fields_get_defaults_and_a_stable_id() -> None:
    a = Record(instruction="Define molarity.", output="Moles of solute per litre of solution.")
    b = Record(instruction="Define molarity.", output="Moles of solute per litre of solution.")
    assert (a.task, a.lang, a.input) == ("qa", "en", "")
    assert a.id == b.id and len(a.id) == 12
    assert Record(instruction="Define molarity.", output="Something else.").id != a.id


def test_language_is_detected_from_hangul_share() -> None:
    assert detect_lang("벤젠의 분자식은 C6H6이다.") == "ko"
    assert detect_lang("The Korean word for acid is 산.") == "en"
    assert detect_lang("") == "en"
    assert Record(instruction="물의 끓는점은?", output="100 °C").lang == "ko"


def test_structured_output_is_kept_as_json_text() -> None:
    record = Record(instruction="몰질량을 JSON으로 답하시오: H2O", output={"값": 18.02, "unit": "g/mol"})
    assert record.output == '{"값": 18.02, "unit": "g/mol"}'


def test_empty_output_is_reported_with_place_and_field() -> None:
    message = error_of(validate_record, {"instruction": "Q", "output": "  "}, "data.jsonl, line 14")
    assert message == "data.jsonl, line 14: field 'output' is empty"


def test_unknown_language_is_reported() -> None:
    obj = {"instruction": "Q", "output": "A", "lang": "jp"}
    message = error_of(validate_record, obj, "line 3")
    assert message == "line 3: field 'lang' must be 'en' or 'ko', got 'jp'"


def test_misspelt_field_is_named() -> None:
    message = error_of(validate_record, {"instruction": "Q", "outptu": "A"}, "x.jsonl, line 2")
    assert "field 'output' is missing" in message and "field 'outptu' is not a record field" in message


# ---- native JSONL ----------------------------------------------------------------------------------


def test_jsonl_round_trip_keeps_korean_readable(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    write_jsonl(path, RECORDS)
    assert "화학 전문가" in path.read_text(encoding="utf-8")
    assert read_jsonl(path) == RECORDS


def test_invalid_json_line_names_file_and_line(tmp_path: Path) -> None:
    good = json.dumps({"instruction": "Q", "output": "A"})
    path = write(tmp_path / "data.jsonl", f"{good}\n\n{good}\n{{'instruction': 'Q'}}\n")
    message = error_of(read_jsonl, path)
    assert message.startswith("data.jsonl, line 4: not valid JSON")


def test_bad_record_in_jsonl_names_line_and_field(tmp_path: Path) -> None:
    lines = [{"instruction": "Q", "output": "A"}, {"instruction": "Q", "output": "A", "lang": "jp"}]
    path = write(tmp_path / "data.jsonl", "\n".join(json.dumps(line) for line in lines))
    assert error_of(read_jsonl, path) == "data.jsonl, line 2: field 'lang' must be 'en' or 'ko', got 'jp'"


# ---- importers and exporters -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["alpaca", "sharegpt", "messages", "chemtune"])
@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_export_then_import_round_trips(tmp_path: Path, fmt: str, suffix: str) -> None:
    # Chat formats have no separate input: it travels inside the user turn.
    records = RECORDS if fmt in ("alpaca", "chemtune") else [r for r in RECORDS if not r.input]
    path = export_records(records, tmp_path / f"out{suffix}", fmt)
    assert essence(load_records(path)) == essence(records)
    assert essence(load_records(path, fmt=fmt)) == essence(records)
    if fmt == "chemtune":
        assert load_records(path) == records


@pytest.mark.parametrize("fmt", ["alpaca", "sharegpt", "messages"])
def test_auto_detects_the_format(tmp_path: Path, fmt: str) -> None:
    path = export_records(RECORDS, tmp_path / "data.jsonl", fmt)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert {"alpaca": "instruction", "sharegpt": "conversations", "messages": "messages"}[fmt] in first
    assert [r.output for r in load_records(path)] == [r.output for r in RECORDS]


def test_alpaca_extra_columns_land_in_meta(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dolly.csv",
        "instruction,input,output,category\n벤젠의 분자식은?,,C6H6,화학\n",
    )
    [record] = load_records(path)
    assert (record.lang, record.input, record.meta) == ("ko", "", {"category": "화학"})


def test_auto_format_judges_each_row_so_a_later_alpaca_row_keeps_its_extra_column(tmp_path: Path) -> None:
    rows = [{"instruction": "What is H2O?", "input": "", "output": "Water"},
            {"instruction": "What is NaCl?", "input": "", "output": "Salt", "category": "inorganic"}]
    path = write(tmp_path / "mixed.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    assert [r.meta for r in load_records(path)] == [None, {"category": "inorganic"}]


def test_csv_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", "instruction,output,output\nWhat is H2O?,Water,WRONG\n")
    assert error_of(load_records, path) == "dup.csv, line 1: column 'output' appears twice"


def test_sharegpt_takes_system_and_first_exchange_and_keeps_the_conversation(tmp_path: Path) -> None:
    row = {
        "conversations": [
            {"from": "system", "value": "You are a chemist."},
            {"from": "human", "value": "What is a mole?"},
            {"from": "gpt", "value": "6.022e23 particles."},
            {"from": "human", "value": "그럼 2몰은?"},
            {"from": "gpt", "value": "1.2044e24개입니다."},
        ]
    }
    [record] = load_records(write(tmp_path / "chat.json", json.dumps([row], ensure_ascii=False)))
    assert (record.system, record.instruction, record.output) == (
        "You are a chemist.", "What is a mole?", "6.022e23 particles.")
    assert [turn["role"] for turn in record.meta["conversation"]] == [
        "system", "user", "assistant", "user", "assistant"]
    exported = export_records([record], tmp_path / "back.jsonl", "sharegpt")
    assert json.loads(exported.read_text(encoding="utf-8"))["conversations"] == row["conversations"]


def test_single_exchange_stores_no_conversation(tmp_path: Path) -> None:
    row = {"messages": [{"role": "user", "content": "pKa of acetic acid?"},
                        {"role": "assistant", "content": "About 4.76."}]}
    [record] = load_records(write(tmp_path / "m.jsonl", json.dumps(row)))
    assert record.meta is None and record.system is None


def test_json_list_errors_name_the_item(tmp_path: Path) -> None:
    rows = [{"instruction": "Q", "output": "A"}, {"instruction": "Q", "output": ""}]
    path = write(tmp_path / "data.json", json.dumps(rows))
    assert error_of(load_records, path) == "data.json, item 2: field 'output' is empty"


def test_json_lines_saved_as_json_are_read(tmp_path: Path) -> None:
    lines = [{"instruction": "Q1", "output": "A1"}, {"instruction": "Q2", "output": "A2"}]
    path = write(tmp_path / "data.json", "\n".join(json.dumps(line) for line in lines))
    assert [record.output for record in load_records(path)] == ["A1", "A2"]


def test_csv_errors_count_the_header_as_line_one(tmp_path: Path) -> None:
    path = write(tmp_path / "data.csv", 'instruction,input,output\nQ1,,A1\n"Q2\nmore",,A2\nQ3,,\n')
    assert error_of(load_records, path) == "data.csv, line 5: field 'output' is empty"


@pytest.mark.parametrize(("text", "message"), [
    ('instruction,output\nQ1,A1\n"Q2 never closed,A2\nQ3,A3\n', "data.csv, line 3: broken CSV quoting"),
    ('instruction,output\nQ1,A1\n"Q2"x,A2\n', "data.csv, line 3: broken CSV quoting"),
    ("instruction,output\nQ1,A1\nQ2, with a comma,A2\n", "data.csv, line 3: 3 fields but the header names 2"),
])
def test_broken_csv_rows_are_named_not_merged(tmp_path: Path, text: str, message: str) -> None:
    assert error_of(load_records, write(tmp_path / "data.csv", text)).startswith(message)


def test_csv_rows_may_leave_out_empty_trailing_cells(tmp_path: Path) -> None:
    path = write(tmp_path / "data.csv", "instruction,output,input\nQ1,A1\nQ2,A2,some context\n")
    assert [(r.input, r.output) for r in load_records(path)] == [("", "A1"), ("some context", "A2")]


def test_csv_conversation_column_must_be_json(tmp_path: Path) -> None:
    path = write(tmp_path / "chat.csv", "conversations\n\"[{\"\"from\"\": \"\"human\"\"\"\n")
    message = error_of(load_records, path, fmt="sharegpt")
    assert message.startswith("chat.csv, line 2: field 'conversations' is not valid JSON")


def test_unknown_role_names_the_turn(tmp_path: Path) -> None:
    row = {"conversations": [{"from": "human", "value": "Q"}, {"from": "robot", "value": "A"}]}
    message = error_of(load_records, write(tmp_path / "c.jsonl", json.dumps(row)))
    assert message.startswith("c.jsonl, line 1: field 'conversations', turn 2: 'from' is 'robot'")


def test_conversation_without_an_answer_is_rejected(tmp_path: Path) -> None:
    row = {"messages": [{"role": "user", "content": "Q"}]}
    message = error_of(load_records, write(tmp_path / "m.jsonl", json.dumps(row)))
    assert message == "m.jsonl, line 1: field 'messages' has no answer after the first user turn."


def test_unrecognised_shape_lists_what_was_expected(tmp_path: Path) -> None:
    path = write(tmp_path / "qa.jsonl", json.dumps({"question": "Q", "answer": "A"}))
    message = error_of(load_records, path)
    assert message.startswith("qa.jsonl, line 1: cannot tell the format from the fields (answer, question)")


def test_unknown_file_type_is_refused(tmp_path: Path) -> None:
    assert "unknown file type '.txt'" in error_of(load_records, write(tmp_path / "a.txt", "x"))


def test_hf_dataset_has_one_column_per_field() -> None:
    dataset = to_hf_dataset(RECORDS)
    assert dataset.column_names == [
        "id", "task", "lang", "system", "instruction", "input", "output", "source", "meta"]
    assert dataset.num_rows == len(RECORDS)
    assert dataset[1]["instruction"] == "다음 화합물의 IUPAC 이름을 쓰시오."
    assert dataset[0]["system"] is None


# ---- named datasets ------------------------------------------------------------------------------


def test_save_list_load_delete_dataset(workspace_home: Path) -> None:
    folder = save_dataset("chem-ko-v1", RECORDS, meta={"generator": "unit-test"})
    assert folder == workspace_home / "datasets" / "chem-ko-v1"
    assert load_dataset_records("chem-ko-v1") == RECORDS
    [saved] = [info for info in list_datasets() if info["name"] == "chem-ko-v1"]
    assert saved["count"] == 4 and saved["builtin"] is False and saved["created"]
    assert saved["tasks"] == {"calc": 1, "nomenclature": 1, "qa": 2}
    assert saved["langs"] == {"en": 2, "ko": 2}
    assert json.loads((folder / "meta.json").read_text(encoding="utf-8"))["generator"] == "unit-test"
    delete_dataset("chem-ko-v1")
    assert "chem-ko-v1" not in [info["name"] for info in list_datasets()]


def test_a_broken_meta_json_is_reported_on_its_row_and_the_other_datasets_still_list(
        workspace_home: Path) -> None:
    save_dataset("good", RECORDS[:1])
    folder = save_dataset("bad", RECORDS)
    (folder / "meta.json").write_text('{"origin": "generate",', encoding="utf-8")
    rows = {info["name"]: info for info in list_datasets()}
    assert rows["good"]["count"] == 1 and "error" not in rows["good"]
    assert rows["bad"]["count"] == 4 and "meta.json: not valid JSON" in rows["bad"]["error"]


def test_saving_over_a_dataset_needs_overwrite() -> None:
    save_dataset("mine", RECORDS[:1])
    assert "already exists" in error_of(save_dataset, "mine", RECORDS)
    save_dataset("mine", RECORDS, overwrite=True)
    assert len(load_dataset_records("mine")) == len(RECORDS)


def test_unknown_dataset_lists_the_available_ones() -> None:
    save_dataset("mine", RECORDS)
    assert error_of(load_dataset_records, "nope") == "No dataset named 'nope'. Available: sample, mine"
    assert "No dataset named 'nope'" in error_of(delete_dataset, "nope")


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", ""])
def test_names_that_escape_the_workspace_are_rejected(workspace_home: Path, name: str) -> None:
    with pytest.raises(ChemtuneError):
        save_dataset(name, RECORDS)
    with pytest.raises(ChemtuneError):
        load_dataset_records(name)
    assert not (workspace_home / "x").exists()


def test_sample_cannot_be_overwritten_or_deleted() -> None:
    assert "built-in" in error_of(save_dataset, "sample", RECORDS)
    assert "built-in" in error_of(delete_dataset, "sample")


@pytest.mark.skipif(not SAMPLE_PATH.is_file(), reason=f"bundled sample set not written yet: {SAMPLE_PATH}")
def test_sample_resolves_to_the_bundled_set_in_both_languages() -> None:
    records = load_dataset_records("sample")
    assert len(records) >= 120
    assert {record.lang for record in records} == {"en", "ko"}
    [sample] = [info for info in list_datasets() if info["name"] == "sample"]
    assert sample["builtin"] is True and sample["count"] == len(records)


def test_overwriting_a_dataset_drops_the_failures_of_the_records_it_replaces(tmp_path, monkeypatch):
    from chemtune.records import FAILURES_FILE, Record, save_dataset

    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path))
    folder = save_dataset("mix", [Record(instruction="pH?", output="7")])
    (folder / FAILURES_FILE).write_text('{"reason": "old"}\n')
    save_dataset("mix", [Record(instruction="pOH?", output="7")], overwrite=True)
    assert not (folder / FAILURES_FILE).exists()


def test_a_bad_record_and_a_bad_name_are_refused_in_korean_too() -> None:
    import pytest

    from chemtune import workspace
    from chemtune.errors import ChemtuneError
    from chemtune.records import validate_record

    with pytest.raises(ChemtuneError) as refused:
        validate_record({"instruction": "Name the acid."}, "data.jsonl, line 2")
    assert refused.value.text("en") == "data.jsonl, line 2: field 'output' is missing"
    assert refused.value.text("ko") == "data.jsonl, line 2: 'output' 필드가 없습니다"
    with pytest.raises(ChemtuneError) as refused:
        workspace.check_name("", "dataset name")
    assert refused.value.text("ko").startswith("데이터셋 이름이(가) 비어 있습니다")
