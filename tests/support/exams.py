"""Small exam folders in the original MMLU and KMMLU layouts, written by the tests that need them."""

from __future__ import annotations

import csv
from pathlib import Path

MMLU_SUBJECTS = ("high_school_chemistry", "college_chemistry")
KMMLU_SUBJECTS = ("Chemistry", "Chemical-Engineering", "Materials-Engineering")
KMMLU_HEADER = ["question", "answer", "A", "B", "C", "D", "Category", "Human Accuracy"]


def _question(i: int, subject: str) -> tuple[str, list[str]]:
    # Lengths vary so batches need padding.
    stem = f"Question {i} on {subject.replace('_', ' ')}: which of these is the strongest acid?"
    return stem + " Consider aqueous solution at 25 °C." * (i % 4), ["HCl", "CH3COOH", "H2O", "NH3"]


def write_mmlu(root: Path, n_test: int = 6, n_dev: int = 5) -> Path:
    """root/test/<subject>_test.csv and root/dev/<subject>_dev.csv, no header, as in MMLU's data.tar."""
    for split, n in (("test", n_test), ("dev", n_dev)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for subject in MMLU_SUBJECTS:
            with open(root / split / f"{subject}_{split}.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                for i in range(n):
                    question, choices = _question(i, subject)
                    writer.writerow([question, *choices, "ABCD"[i % 4]])
    return root


def write_kmmlu(root: Path, n_test: int = 5, n_dev: int = 5) -> Path:
    """root/<Subject>-test.csv and root/<Subject>-dev.csv with KMMLU's header (answers 1–4)."""
    root.mkdir(parents=True, exist_ok=True)
    for subject in KMMLU_SUBJECTS:
        for split, n in (("test", n_test), ("dev", n_dev)):
            with open(root / f"{subject}-{split}.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(KMMLU_HEADER)
                for i in range(n):
                    stem = f"{subject} 문제 {i}: 다음 중 산성 용액의 pH로 옳은 것은?"
                    question = stem + " 25 °C에서." * (i % 3)
                    writer.writerow(
                        [
                            question,
                            i % 4 + 1,
                            "pH 3",
                            "pH 7",
                            "pH 9",
                            "pH 12",
                            subject,
                            [0.9, 0.5, 0.1, 0.45, 0.7][i % 5],
                        ]
                    )
    return root


# Four questions, English and Korean, for endpoint and generative runs against a stub server.
FOUR_QUESTIONS = """question,A,B,C,D,answer,category
What is the formula of water?,H2O,CO2,NaCl,O2,A,general
몰 농도의 단위는 무엇인가?,g,mol/L,K,Pa,B,korean
Which gas is a noble gas?,N2,O2,Ar,H2,C,general
Which is a strong base?,HCl,CH3COOH,H2O,NaOH,D,general
"""


def answering(answers: dict[str, str]):
    """A stub server's responder: the answer whose key the asked question contains."""

    def responder(body: dict) -> str:
        question = body["messages"][-1]["content"]
        return next(answer for key, answer in answers.items() if key in question)

    return responder
