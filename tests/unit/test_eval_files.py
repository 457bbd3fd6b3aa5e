"""Benchmarks from local folders and uploaded exam files; bad files get errors naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.benchmarks import CATALOGUE, difficulty_bucket, load_exam
from tests.support.exams import write_kmmlu, write_mmlu

HEADER = "question,A,B,C,D,answer\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_mmlu_folder_in_original_layout_loads_both_subjects_and_dev(tmp_path: Path) -> None:
    exam = load_exam("mmlu-chemistry", str(write_mmlu(tmp_path / "mmlu", n_test=6, n_dev=5)))
    assert exam.subsets == ["high_school", "college"]
    assert len(exam.questions) == 12 and len(exam.dev) == 10
    first = exam.questions[0]
    assert first.subset == "high_school" and first.choices == ["HCl", "CH3COOH", "H2O", "NH3"]
    assert [q.answer for q in exam.questions[:4]] == ["A", "B", "C", "D"]
    assert first.subject == "high school chemistry" and first.lang == "en"


def test_mmlu_limit_keeps_the_first_questions_of_each_subset(tmp_path: Path) -> None:
    exam = load_exam("mmlu-chemistry", str(write_mmlu(tmp_path / "mmlu")), limit=2)
    assert [q.subset for q in exam.questions] == ["high_school", "high_school", "college", "college"]


def test_kmmlu_folder_loads_subjects_with_numeric_answers(tmp_path: Path) -> None:
    exam = load_exam("kmmlu-chemistry", str(write_kmmlu(tmp_path / "kmmlu", n_test=5)))
    assert exam.subsets == ["Chemistry", "Chemical-Engineering", "Materials-Engineering"]
    assert len(exam.questions) == 15 and len(exam.dev) == 15
    assert [q.answer for q in exam.questions[:5]] == ["A", "B", "C", "D", "A"]  # answers 1–4 → A–D
    assert all(q.lang == "ko" for q in exam.questions)


def test_kmmlu_difficulty_buckets_come_from_human_accuracy(tmp_path: Path) -> None:
    exam = load_exam("kmmlu-chemistry", str(write_kmmlu(tmp_path / "kmmlu")), group_by="difficulty")
    assert exam.subsets == ["easy", "medium", "hard"]
    # Human accuracies 0.9, 0.5, 0.1, 0.45, 0.7 per subject
    assert [q.subset for q in exam.questions[:5]] == ["easy", "medium", "hard", "medium", "easy"]
    assert difficulty_bucket("") == "unknown" and difficulty_bucket(0.3) == "medium"


def test_uploaded_csv_with_five_options_and_categories(tmp_path: Path) -> None:
    path = write(
        tmp_path / "exam.csv",
        "question,A,B,C,D,E,answer,category\n"
        "What is H2O?,water,salt,acid,base,gas,A,easy\n"
        "몰 농도의 단위는?,mol/L,g,L,K,Pa,①,hard\n"
        "pH of pure water at 25 °C?,1,7,14,0,3,2,easy\n",
    )
    exam = load_exam(str(path))
    assert exam.subsets == ["easy", "hard"]
    assert [q.answer for q in exam.questions] == ["A", "A", "B"]
    assert exam.letters == "ABCDE"
    assert exam.questions[1].lang == "ko" and exam.questions[0].lang == "en"


def test_uploaded_jsonl_with_choices_list_and_difficulty(tmp_path: Path) -> None:
    rows = [
        {"question": "q1", "choices": ["a", "b", "c", "d"], "answer": "D", "difficulty": "hard"},
        {"question": "q2", "choices": ["a", "b", "c", "d"], "answer": 2},
    ]
    path = write(tmp_path / "exam.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    exam = load_exam(str(path))
    assert [(q.subset, q.answer) for q in exam.questions] == [("hard", "D"), ("all", "B")]


def test_uploaded_exam_takes_dev_examples_from_a_sibling_dev_file(tmp_path: Path) -> None:
    write(tmp_path / "exam.csv", HEADER + "q1,a,b,c,d,A\n")
    write(tmp_path / "exam-dev.csv", HEADER + "d1,a,b,c,d,B\n")
    exam = load_exam(str(tmp_path / "exam.csv"))
    assert [q.question for q in exam.dev] == ["d1"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.csv", "question,A,B,C,D\nq,a,b,c,d\n", "missing.csv, line 2: missing column 'answer'"),
        (
            "letter.csv",
            HEADER + "q1,a,b,c,d,A\nq2,a,b,c,d,E\n",
            "letter.csv, line 3: answer 'E' is not one of A–D",
        ),
        ("empty.csv", "", "empty.csv is empty"),
        ("header_only.csv", HEADER, "header_only.csv has a header but no questions"),
        (
            "quote.csv",
            HEADER + 'q1,a,b,c,d,A\n"q2 is broken,a,b,c,d,B\nq3,a,b,c,d,C\n',
            "quote.csv, line 3: broken CSV quoting",
        ),
        ("stray.csv", HEADER + 'q1,a,b,c,d,A\n"q2"x,a,b,c,d,B\n', "stray.csv, line 3: broken CSV quoting"),
        ("fields.csv", HEADER + "q1,a,b,c,d,A\nq2, with comma,a,b,c,d,B\n", "fields.csv, line 3: 7 fields"),
        ("three.csv", "question,A,B,C,answer\nq,a,b,c,A\n", "three.csv, line 2: expected 4 or 5 options"),
        ("empty.jsonl", "\n", "empty.jsonl is empty"),
        (
            "bad.jsonl",
            '{"question": "q", "choices": ["a","b","c","d"], "answer": "A"}\n{"question": \n',
            "bad.jsonl, line 2: not valid JSON",
        ),
        (
            "e.jsonl",
            '{"question": "q", "choices": ["a","b","c","d"], "answer": "E"}\n',
            "e.jsonl, line 1: answer 'E' is not one of A–D",
        ),
    ],
)
def test_bad_exam_files_get_errors_naming_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(ChemtuneError) as error:
        load_exam(str(write(tmp_path / name, text)))
    assert message in str(error.value)


def test_mmlu_file_with_answer_e_names_file_and_line(tmp_path: Path) -> None:
    root = write_mmlu(tmp_path / "mmlu", n_test=3)
    path = root / "test" / "college_chemistry_test.csv"
    path.write_text(path.read_text() + "extra question,a,b,c,d,E\n")
    with pytest.raises(
        ChemtuneError, match=r"college_chemistry_test.csv, line 4: answer 'E' is not one of A–D"
    ):
        load_exam("mmlu-chemistry", str(root))


def test_kmmlu_file_missing_a_column_names_file_and_line(tmp_path: Path) -> None:
    root = write_kmmlu(tmp_path / "kmmlu")
    write(root / "Chemistry-test.csv", "question,A,B,C,D,Category\nq,a,b,c,d,Chemistry\n")
    with pytest.raises(ChemtuneError, match=r"Chemistry-test.csv, line 2: missing column 'answer'"):
        load_exam("kmmlu-chemistry", str(root))


def test_missing_local_folder_files_and_unknown_benchmarks_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ChemtuneError, match=r"high_school_chemistry_test.csv is missing"):
        load_exam("mmlu-chemistry", str(tmp_path))
    with pytest.raises(ChemtuneError, match="no such exam file or benchmark"):
        load_exam("mmlu-physics")


def test_hub_benchmarks_keep_the_real_dataset_ids_and_fail_clearly_offline(monkeypatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert CATALOGUE["mmlu-chemistry"].hub_id == "cais/mmlu"
    assert CATALOGUE["kmmlu-chemistry"].hub_id == "HAERAE-HUB/KMMLU"
    with pytest.raises(ChemtuneError, match=r"Cannot load cais/mmlu .*--data-dir"):
        load_exam("mmlu-chemistry")


def test_grouping_by_difficulty_is_refused_where_it_would_be_ignored() -> None:
    from chemtune.evaluate.benchmarks import load_exam

    with pytest.raises(ChemtuneError, match="can group by subject, not 'difficulty'"):
        load_exam("sample", group_by="difficulty")
