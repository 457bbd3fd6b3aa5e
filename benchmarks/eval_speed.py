"""chemtune's log-likelihood scoring versus lm-evaluation-harness on the same model and the same questions.

    pip install lm_eval          # benchmark-only dependency, not in requirements.txt
    python benchmarks/eval_speed.py [--questions 303] [--shots 0] [--batch-size 16] [--data-dir MMLU_FOLDER]

Both score the MMLU-layout CSVs (test/high_school_chemistry_test.csv, test/college_chemistry_test.csv;
by default 203 + 100 questions written from the bundled sample exam, MMLU's own counts) with the tiny
model on the CPU. lm-evaluation-harness reads the same CSVs through a local task config (YAML) whose
prompt function renders exactly the prompt chemtune scores, and compares the log-likelihoods of the
continuations "A"–"D" (`hf` model, `pretrained=<tiny path>`); with --shots K both get the same k-shot
prompt (chemtune's, the first K dev questions as earlier chat turns). Reported: the share of identical
predictions and questions per second, end to end (model loading included) for both; the two alternate
and the best of `--repeats` runs of each counts.
Targets: ≥ 99 % identical predictions, chemtune ≥ 3× faster.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SUBJECTS = {"high_school_chemistry": "high_school", "college_chemistry": "college"}

TASK_YAML = """task: {task}
dataset_path: csv
dataset_kwargs:
  data_files:
    test: {csv_path}
  column_names: [question, A, B, C, D, answer]
test_split: test
output_type: multiple_choice
doc_to_text: !function prompts.{function}
doc_to_choice: ["A", "B", "C", "D"]
doc_to_target: "{{{{['A', 'B', 'C', 'D'].index(answer)}}}}"
target_delimiter: ""
metric_list:
  - metric: acc
"""

# The task's prompt function: the very prompt chemtune scores, rendered through chemtune.
PROMPTS_PY = """import sys
sys.path.insert(0, {repo!r})
from chemtune.evaluate.benchmarks import load_exam
from chemtune.evaluate.exam_files import Question
from chemtune.prompting import render_messages
from chemtune.evaluate.prompts import messages_for, pick_shots
from chemtune.models import load_tokenizer

_TOKENIZER = load_tokenizer({model!r})
_EXAM = load_exam("mmlu-chemistry", {data_dir!r})


def _text(doc, subject, subset):
    question = Question("q", subset, doc["question"], [str(doc[k]) for k in "ABCD"], doc["answer"], "en",
                        subject.replace("_", " "))
    shots = pick_shots(question, {shots}, _EXAM.dev, _EXAM.questions)
    return render_messages(_TOKENIZER, messages_for(question, shots, "loglik")).prompt
{functions}
"""


def write_questions(folder: Path, count: int) -> Path:
    """An MMLU-layout folder from the sample exam's English questions, varied to reach `count`."""
    rows = [
        json.loads(line) for line in (REPO / "chemtune/samples/exam.jsonl").read_text().splitlines() if line
    ]
    rows = [row for row in rows if row["lang"] == "en"]
    sizes = {"high_school_chemistry": round(count * 203 / 303)}
    sizes["college_chemistry"] = count - sizes["high_school_chemistry"]
    (folder / "test").mkdir(parents=True, exist_ok=True)
    (folder / "dev").mkdir(parents=True, exist_ok=True)
    for subject in sizes:  # k-shot examples: the first five questions, as MMLU's dev split has five
        with open(folder / "dev" / f"{subject}_dev.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(
                [row["question"], *row["choices"], row["answer"]] for row in rows[:5]
            )
    index = 0
    for subject, size in sizes.items():
        with open(folder / "test" / f"{subject}_test.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for _ in range(size):
                row = rows[index % len(rows)]
                variant = f" (variant {index // len(rows)})" if index >= len(rows) else ""
                writer.writerow([row["question"] + variant, *row["choices"], row["answer"]])
                index += 1
    return folder


def run_chemtune(
    model_path: str, data_dir: Path, batch_size: int, shots: int
) -> tuple[list[str], float, float]:
    from chemtune.evaluate.job import evaluate

    start = time.perf_counter()
    results, rows = evaluate(
        {
            "model": model_path,
            "benchmark": "mmlu-chemistry",
            "data_dir": str(data_dir),
            "batch_size": batch_size,
            "shots": shots,
            "device": "cpu",
        },
        log=lambda _: None,
    )
    return [row["pred"] for row in rows], time.perf_counter() - start, results["seconds"]


def run_lm_eval(
    model_path: str, data_dir: Path, batch_size: int, shots: int, work: Path
) -> tuple[list[str], float]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    tasks = {subject: f"chemtune_{subject}" for subject in SUBJECTS}
    functions = "".join(
        f"\n\ndef {subject}(doc):\n    return _text(doc, {subject!r}, {subset!r})\n"
        for subject, subset in SUBJECTS.items()
    )
    (work / "prompts.py").write_text(
        PROMPTS_PY.format(
            repo=str(REPO), model=model_path, data_dir=str(data_dir), shots=shots, functions=functions
        )
    )
    for subject, task in tasks.items():
        (work / f"{task}.yaml").write_text(
            TASK_YAML.format(task=task, function=subject, csv_path=data_dir / "test" / f"{subject}_test.csv")
        )
    start = time.perf_counter()
    output = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={model_path},dtype=float32",
        device="cpu",
        tasks=list(tasks.values()),
        task_manager=TaskManager(include_path=str(work)),
        batch_size=batch_size,
        log_samples=True,
        num_fewshot=0,
    )
    seconds = time.perf_counter() - start
    predictions = []
    for task in tasks.values():  # chemtune's order: subjects in turn, questions in file order
        for sample in sorted(output["samples"][task], key=lambda s: s["doc_id"]):
            scores = [float(resp[0]) for resp in sample["filtered_resps"]]
            predictions.append("ABCD"[max(range(4), key=scores.__getitem__)])
    return predictions, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=303, help="questions to write (default 303)")
    parser.add_argument("--data-dir", help="an existing MMLU folder instead of written questions")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--shots", type=int, default=0, help="k-shot examples from the dev split (default 0)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs of each (default 2)")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="chemtune-eval-speed-"))
    os.environ["CHEMTUNE_HOME"] = str(work / "home")
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        print("lm_eval is not installed: pip install lm_eval (benchmark-only dependency)", file=sys.stderr)
        return 2
    from chemtune.models import build_tiny

    model_path = str(build_tiny(work / "tiny"))
    data_dir = Path(args.data_dir) if args.data_dir else write_questions(work / "mmlu", args.questions)

    # The two alternate, so a busy machine slows both alike; the best of the repeats counts.
    ours_runs, theirs_runs = [], []
    for _ in range(args.repeats):
        ours_runs.append(run_chemtune(model_path, data_dir, args.batch_size, args.shots))
        theirs_runs.append(run_lm_eval(model_path, data_dir, args.batch_size, args.shots, work))
    ours, ours_s, ours_scoring_s = min(ours_runs, key=lambda run: run[1])
    theirs, theirs_s = min(theirs_runs, key=lambda run: run[1])
    if len(ours) != len(theirs):
        print(f"question counts differ: chemtune {len(ours)}, lm_eval {len(theirs)}", file=sys.stderr)
        return 1
    n = len(ours)
    same = sum(a == b for a, b in zip(ours, theirs, strict=True)) / n
    figures = {
        "questions": n,
        "shots": args.shots,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "identical_predictions": round(same, 4),
        "chemtune_s": round(ours_s, 2),
        "chemtune_scoring_s": round(ours_scoring_s, 2),
        "lm_eval_s": round(theirs_s, 2),
        "chemtune_q_per_s": round(n / ours_s, 1),
        "lm_eval_q_per_s": round(n / theirs_s, 1),
        "speedup": round(theirs_s / ours_s, 2),
    }
    print(f"questions                {n}")
    print(f"identical predictions    {same:.2%}   (target ≥ 99%)")
    print(
        f"chemtune                 {figures['chemtune_q_per_s']} questions/s  ({ours_s:.1f} s end to end, "
        f"{ours_scoring_s:.1f} s scoring)"
    )
    print(f"lm-evaluation-harness    {figures['lm_eval_q_per_s']} questions/s  ({theirs_s:.1f} s end to end)")
    print(f"speed-up                 {figures['speedup']}×   (target ≥ 3×)")
    print(json.dumps(figures))
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
