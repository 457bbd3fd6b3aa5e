"""The benchmark catalogue: each benchmark is a declarative entry (source, subsets, language, loader).

Adding a benchmark is adding an entry to CATALOGUE. `load_exam(name_or_path, data_dir)` returns the
test questions and the dev questions that k-shot prompts draw their examples from.

Sources, in order: a local folder when `data_dir` is given (the dataset's original file layout), else the
Hugging Face Hub through `datasets.load_dataset` (cached copies work offline).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.evaluate.exam_files import (
    LETTERS,
    Question,
    parse_answer,
    question_from_row,
    read_csv_rows,
    read_exam_file,
)

SAMPLE_EXAM = Path(__file__).resolve().parents[1] / "samples" / "exam.jsonl"
# KMMLU's "Human Accuracy" (share of human test-takers who answered right) → difficulty bucket.
DIFFICULTY_BUCKETS = ((0.6, "easy"), (0.3, "medium"), (0.0, "hard"))


@dataclass
class Exam:
    """Questions to score, grouped by sub-category, and dev questions for k-shot examples."""

    name: str
    questions: list[Question]
    dev: list[Question] = field(default_factory=list)
    subsets: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        if not self.subsets:
            self.subsets = list(dict.fromkeys(q.subset for q in self.questions))

    @property
    def letters(self) -> str:
        return LETTERS[: max(len(q.choices) for q in self.questions)]


@dataclass(frozen=True)
class Benchmark:
    """A catalogue entry: where the questions come from and how its subsets are named."""

    name: str
    title: str
    lang: str
    hub_id: str | None
    subjects: dict[str, str]  # subset name -> subject (hub config name / file stem)
    loader: Callable[..., Exam]
    description: str = ""
    group_by: tuple[str, ...] = ("subject",)  # ways to form sub-categories


# ---- MMLU ------------------------------------------------------------------------------------------


def _mmlu_folder_split(folder: Path, subject: str, split: str, subset: str) -> list[Question]:
    path = folder / split / f"{subject}_{split}.csv"
    if not path.exists():
        raise ChemtuneError(
            f"{path} is missing; an MMLU folder holds test/<subject>_test.csv and "
            "dev/<subject>_dev.csv (the layout of the original MMLU data.tar).",
            ko=f"{path}이(가) 없습니다; MMLU 폴더에는 test/<subject>_test.csv와 "
               "dev/<subject>_dev.csv가 있습니다(원래 MMLU data.tar의 구조)."
        )
    questions = []
    for index, (where, cells) in enumerate(read_csv_rows(path, header=False), start=1):
        if len(cells) != 6:
            raise ChemtuneError(
                f"{where}: expected 6 fields (question, A, B, C, D, answer), found {len(cells)}.",
                ko=f"{where}: 필드 6개(question, A, B, C, D, answer)가 있어야 하는데 {len(cells)}개입니다."
            )
        answer = parse_answer(cells[5], 4, where)
        questions.append(
            Question(
                f"{subject}-{split}-{index}",
                subset,
                cells[0].strip(),
                [c.strip() for c in cells[1:5]],
                answer,
                "en",
                subject.replace("_", " "),
            )
        )
    if not questions:
        raise ChemtuneError(f"{path.name} is empty: expected one question per line.",
                            ko=f"{path.name}이(가) 비어 있습니다: 한 줄에 문제 하나가 있어야 합니다.")
    return questions


def _hub_split(hub_id: str, config: str, split: str) -> list[dict[str, Any]]:
    import datasets

    try:
        data = datasets.load_dataset(hub_id, config, split=split)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ChemtuneError(
            f"Cannot load {hub_id} ({config}, {split}) from the Hugging Face Hub: {first}. Offline? Download "
            "the files once and pass their folder with --data-dir.",
            ko=f"Hugging Face Hub에서 {hub_id}({config}, {split})을(를) 불러올 수 없습니다: {first}. "
               "오프라인인가요? 파일을 한 번 내려받아 그 폴더를 --data-dir로 주세요."
        ) from None
    return [dict(row) for row in data]


def load_mmlu(bench: Benchmark, data_dir: str | None = None, **_: Any) -> Exam:
    test, dev = [], []
    for subset, subject in bench.subjects.items():
        if data_dir:
            folder = Path(data_dir).expanduser()
            folder = folder / "data" if (folder / "data" / "test").is_dir() else folder
            test += _mmlu_folder_split(folder, subject, "test", subset)
            if (folder / "dev" / f"{subject}_dev.csv").exists():
                dev += _mmlu_folder_split(folder, subject, "dev", subset)
            continue
        for split, target in (("test", test), ("dev", dev)):
            for index, row in enumerate(_hub_split(bench.hub_id or "", subject, split), start=1):
                target.append(
                    Question(
                        f"{subject}-{split}-{index}",
                        subset,
                        row["question"],
                        [str(c) for c in row["choices"]],
                        LETTERS[int(row["answer"])],
                        "en",
                        subject.replace("_", " "),
                    )
                )
    return Exam(bench.name, test, dev, list(bench.subjects), data_dir or bench.hub_id or "")


# ---- KMMLU -----------------------------------------------------------------------------------------


def difficulty_bucket(human_accuracy: Any) -> str:
    try:
        value = float(human_accuracy)
    except (TypeError, ValueError):
        return "unknown"
    for low, name in DIFFICULTY_BUCKETS:
        if value >= low:
            return name
    return "hard"


def _kmmlu_question(
    row: dict[str, Any], where: str, subject: str, split: str, index: int, group_by: str
) -> Question:
    for column in ("question", "answer", "A", "B", "C", "D"):
        if column not in row:
            raise ChemtuneError(
                f"{where}: missing column {column!r} (KMMLU columns: question, answer, A, B, C, "
                "D, Category, Human Accuracy).",
                ko=f"{where}: {column!r} 열이 없습니다(KMMLU 열: question, answer, A, B, C, "
                   "D, Category, Human Accuracy)."
            )
    choices = [str(row[letter]).strip() for letter in "ABCD"]
    answer = parse_answer(row["answer"], 4, where)
    accuracy = row.get("Human Accuracy")
    subset = difficulty_bucket(accuracy) if group_by == "difficulty" else subject
    return Question(
        f"{subject}-{split}-{index}",
        subset,
        str(row["question"]).strip(),
        choices,
        answer,
        "ko",
        subject.replace("-", " "),
        {"category": row.get("Category"), "human_accuracy": accuracy},
    )


def load_kmmlu(bench: Benchmark, data_dir: str | None = None, group_by: str = "subject", **_: Any) -> Exam:
    if group_by not in bench.group_by:
        raise ChemtuneError(f"{bench.name} can group by {' or '.join(bench.group_by)}, not {group_by!r}.",
                            ko=f"{bench.name}은(는) {' 또는 '.join(bench.group_by)}(으)로 묶을 수 있고, "
                               f"{group_by!r}(으)로는 안 됩니다.")
    test, dev = [], []
    for subject in bench.subjects.values():
        for split, target in (("test", test), ("dev", dev)):
            if data_dir:
                path = Path(data_dir).expanduser() / f"{subject}-{split}.csv"
                if not path.exists():
                    if split == "dev":
                        continue
                    raise ChemtuneError(
                        f"{path} is missing; a KMMLU folder holds <Subject>-test.csv and "
                        "<Subject>-dev.csv files.",
                        ko=f"{path}이(가) 없습니다; KMMLU 폴더에는 <Subject>-test.csv와 "
                           "<Subject>-dev.csv 파일이 있습니다."
                    )
                rows = read_csv_rows(path, header=True)
                if not rows:
                    raise ChemtuneError(f"{path.name} has a header but no questions.",
                                        ko=f"{path.name}에 머리글은 있지만 문제가 없습니다.")
            else:
                rows = [
                    (f"{bench.hub_id} {subject} {split} row {i}", row)
                    for i, row in enumerate(_hub_split(bench.hub_id or "", subject, split), start=1)
                ]
            target += [
                _kmmlu_question(row, where, subject, split, i, group_by)
                for i, (where, row) in enumerate(rows, start=1)
            ]
    subsets = (
        list(bench.subjects)
        if group_by == "subject"
        else [name for name in ("easy", "medium", "hard", "unknown") if any(q.subset == name for q in test)]
    )
    if group_by == "subject":
        names = {subject: subset for subset, subject in bench.subjects.items()}
        for question in test + dev:
            question.subset = names.get(question.subset, question.subset)
    return Exam(bench.name, test, dev, subsets, data_dir or bench.hub_id or "")


# ---- the bundled sample exam and uploaded files ---------------------------------------------------


def load_sample(bench: Benchmark, **_: Any) -> Exam:
    if not SAMPLE_EXAM.exists():
        raise ChemtuneError(f"The bundled sample exam is missing from the package ({SAMPLE_EXAM.name}).",
                            ko=f"패키지에 내장 예제 시험이 없습니다({SAMPLE_EXAM.name}).")
    from chemtune.records import parse_jsonl

    questions = [
        question_from_row(row, where, i, "all")
        for i, (where, row) in enumerate(parse_jsonl(SAMPLE_EXAM), start=1)
    ]
    order = [s for s in bench.subjects if any(q.subset == s for q in questions)]
    return Exam(bench.name, questions, [], order, str(SAMPLE_EXAM))


def load_file(path: str | Path) -> Exam:
    path = Path(path).expanduser()
    if not path.exists():
        raise ChemtuneError(f"{path}: no such exam file or benchmark; benchmarks are {', '.join(CATALOGUE)}.",
                            ko=f"{path}: 그런 시험 파일이나 벤치마크가 없습니다; 벤치마크: "
                               f"{', '.join(CATALOGUE)}.")
    questions = read_exam_file(path)
    dev_path = next(
        (
            p
            for p in (
                path.with_name(f"{path.stem}-dev{path.suffix}"),
                path.with_name(f"{path.stem}_dev{path.suffix}"),
            )
            if p.exists()
        ),
        None,
    )
    dev = read_exam_file(dev_path) if dev_path else []
    return Exam(path.stem, questions, dev, [], str(path))


CATALOGUE: dict[str, Benchmark] = {
    b.name: b
    for b in [
        Benchmark(
            "mmlu-chemistry",
            "MMLU chemistry",
            "en",
            "cais/mmlu",
            {"high_school": "high_school_chemistry", "college": "college_chemistry"},
            load_mmlu,
            "MMLU high-school (203 questions) and college (100) chemistry test sets, as in the paper.",
        ),
        Benchmark(
            "kmmlu-chemistry",
            "KMMLU chemistry",
            "ko",
            "HAERAE-HUB/KMMLU",
            {
                "Chemistry": "Chemistry",
                "Chemical-Engineering": "Chemical-Engineering",
                "Materials-Engineering": "Materials-Engineering",
            },
            load_kmmlu,
            "Korean licence-exam questions from KMMLU; sub-categories by subject or by human-accuracy "
            "difficulty.",
            group_by=("subject", "difficulty"),
        ),
        Benchmark(
            "sample",
            "Sample chemistry exam",
            "en+ko",
            None,
            {"high_school": "high_school", "college": "college", "professional": "professional"},
            load_sample,
            "The bundled English/Korean exam, split high_school / college / professional.",
        ),
    ]
}


def load_exam(
    benchmark: str, data_dir: str | None = None, group_by: str = "subject", limit: int | None = None
) -> Exam:
    """The questions of a catalogue benchmark, or of an uploaded CSV/JSONL exam given by path."""
    if not benchmark or not str(benchmark).strip():
        raise ChemtuneError(f"No benchmark given; choose one of {', '.join(CATALOGUE)} or an exam file.",
                            ko=f"벤치마크가 지정되지 않았습니다; {', '.join(CATALOGUE)} 중 하나나 시험 "
                               "파일을 고르세요.")
    if benchmark in CATALOGUE:
        bench = CATALOGUE[benchmark]
        if group_by not in bench.group_by:  # a choice silently ignored would mislabel results.json
            raise ChemtuneError(f"{bench.name} can group by {' or '.join(bench.group_by)}, not {group_by!r}.",
                                ko=f"{bench.name}은(는) {' 또는 '.join(bench.group_by)}(으)로 묶을 수 있고, "
                                   f"{group_by!r}(으)로는 안 됩니다.")
        exam = bench.loader(bench, data_dir=data_dir, group_by=group_by)
    else:
        if group_by != "subject":
            raise ChemtuneError("An exam file is grouped by its category/difficulty column; "
                                f"grouping by {group_by!r} applies to kmmlu-chemistry only.",
                                ko="시험 파일은 category/difficulty 열로 묶입니다; "
                                   f"{group_by!r}(으)로 묶기는 kmmlu-chemistry에만 적용됩니다.")
        exam = load_file(benchmark)
    if limit:  # the first `limit` questions of every subset, for quick looks
        kept = []
        for subset in exam.subsets:
            kept += [q for q in exam.questions if q.subset == subset][:limit]
        exam.questions = kept
    return exam
