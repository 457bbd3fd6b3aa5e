"""chemtune's log-likelihood scoring versus lm-evaluation-harness on the same model and the same questions.

    pip install lm_eval          # benchmark-only dependency, not in requirements.txt; keep torch and
                                 # transformers as they are: pip install -c <(pip freeze | grep -E
                                 # '^(torch|transformers|tokenizers|peft|accelerate|datasets)==') lm_eval
    python benchmarks/eval_speed.py [--model smollm2-135m-instruct] [--style both|harness|chat]
                                    [--questions 303] [--shots 0] [--batch-size 16] [--data-dir MMLU_FOLDER]

Both score the MMLU-layout CSVs (test/high_school_chemistry_test.csv, test/college_chemistry_test.csv;
by default 203 + 100 questions written from the bundled sample exam, MMLU's own counts) on the CPU, with
the model's converted folder (`hf` model, `pretrained=<folder>`, float32). lm-evaluation-harness reads
the CSVs offline through local task configs (YAML, `dataset_path: csv` with `data_files`):

- `--style harness`: the harness's own `mmlu_*` template (copied from its installed
  `tasks/mmlu/default/_default_template_yaml`, only the data source changed), continuations " A"…" D",
  k-shot from dev; chemtune runs `--prompt-style harness`. The contexts the harness scored are compared
  with chemtune's prompts byte for byte.
- `--style chat`: a prompt function that renders exactly the prompt chemtune scores (chat template,
  k-shot as earlier turns), continuations "A"–"D".

Each tool runs as the command a user types, in a fresh process, timed from start to exit (imports,
model loading, data and outputs included): `python -m chemtune eval … --json` (the CLI queues the eval
job and waits for it, as the Evaluate tab's jobs run) and `python -m lm_eval run --model hf …`.
Reported per style: the share of identical predictions and of identical prompts, questions per second end
to end for both, and chemtune's own scoring seconds; the two alternate and the best of `--repeats` runs
counts. Targets: ≥ 99 % identical predictions, chemtune ≥ 2× faster end to end. chemtune's float32
products run on the faster of MKL and oneDNN for this CPU (it prints which); CHEMTUNE_CPU_MATMUL=mkl
runs it on MKL, the library lm_eval's PyTorch calls.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SUBJECTS = {"high_school_chemistry": "high_school", "college_chemistry": "college"}

# The harness's MMLU template, with the Hub dataset replaced by the local CSVs (columns named as MMLU's).
HARNESS_DATA = """dataset_path: csv
dataset_kwargs:
  data_files:
    test: {test}
    dev: {dev}
  column_names: [question, choice_a, choice_b, choice_c, choice_d, letter]
"""

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

# The task's prompt function: the very prompt chemtune scores, rendered through chemtune beforehand (so
# the timed lm_eval process pays neither chemtune's imports nor a second tokenizer) and looked up by question.
PROMPTS_PY = """import json

_PROMPTS = json.load(open({prompts!r}, encoding="utf-8"))


def _text(doc, subject):
    return _PROMPTS[subject][json.dumps([str(doc[k]).strip() for k in ("question", "A", "B", "C", "D")])]
{functions}
"""


def chat_prompts(model_path: str, data_dir: Path, shots: int) -> dict[str, dict[str, str]]:
    """Per subject, each question (as its CSV row's text) and the chat-style prompt chemtune scores for it."""
    from chemtune.evaluate.benchmarks import load_exam
    from chemtune.evaluate.prompts import messages_for, pick_shots
    from chemtune.models import load_tokenizer
    from chemtune.prompting import render_messages

    tokenizer = load_tokenizer(model_path)
    exam = load_exam("mmlu-chemistry", str(data_dir))
    prompts: dict[str, dict[str, str]] = {subject: {} for subject in SUBJECTS}
    for question in exam.questions:
        subject = next(name for name, subset in SUBJECTS.items() if subset == question.subset)
        messages = messages_for(question, pick_shots(question, shots, exam.dev, exam.questions), "loglik")
        key = json.dumps([text.strip() for text in (question.question, *question.choices)])
        prompts[subject][key] = render_messages(tokenizer, messages).prompt
    return prompts


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


def harness_task_yaml(subject: str, data_dir: Path) -> str:
    """The installed harness's mmlu_<subject> task, reading the local CSVs instead of cais/mmlu."""
    import lm_eval

    template = (Path(lm_eval.__file__).parent / "tasks/mmlu/default/_default_template_yaml").read_text()
    data = HARNESS_DATA.format(test=data_dir / "test" / f"{subject}_test.csv",
                               dev=data_dir / "dev" / f"{subject}_dev.csv")
    template = template.replace("dataset_path: cais/mmlu\n", data)
    for i, name in enumerate(("choice_a", "choice_b", "choice_c", "choice_d")):
        template = template.replace(f"{{{{choices[{i}]}}}}", f"{{{{{name}}}}}")
    target = "doc_to_target: \"{{['A', 'B', 'C', 'D'].index(letter)}}\""
    template = template.replace("doc_to_target: answer", target)
    about = subject.replace("_", " ")
    description = f"The following are multiple choice questions (with answers) about {about}."
    return template + f"task: harness_{subject}\ndescription: \"{description}\\n\\n\"\n"


def timed(argv: list[str], log: Path) -> tuple[str, float]:
    """Run one command in a fresh process (its stderr to `log`); return its stdout and wall seconds."""
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as errors:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} … failed ({done.returncode}); see {log}")
    return done.stdout, seconds


def run_chemtune(
    model_path: str, data_dir: Path, batch_size: int, shots: int, style: str, work: Path
) -> tuple[list[str], list[str], float, float]:
    """chemtune's eval job as a user starts it: `python -m chemtune eval`, which queues the job and waits."""
    stdout, seconds = timed(
        [sys.executable, "-m", "chemtune", "eval", "--model", model_path, "--benchmark", "mmlu-chemistry",
         "--data-dir", str(data_dir), "--batch-size", str(batch_size), "--shots", str(shots),
         "--prompt-style", style, "--json"],
        work / f"chemtune-{style}.log",
    )
    summary = json.loads(stdout.strip().splitlines()[-1])
    results = json.loads(Path(summary["results"]).read_text(encoding="utf-8"))
    lines = Path(summary["predictions"]).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line]
    library = next((line for line in (Path(summary["results"]).parent / "log.txt").read_text().splitlines()
                    if line.startswith("float32 matrix products on")), "")
    if library:
        print(f"chemtune: {library}", flush=True)
    return [row["pred"] for row in rows], [row["prompt"] for row in rows], seconds, results["seconds"]


def run_lm_eval(
    model_path: str, data_dir: Path, batch_size: int, shots: int, work: Path, style: str
) -> tuple[list[str], list[str], float]:
    """lm-evaluation-harness as a user starts it: `lm_eval run --model hf …` with the local task configs."""
    tasks_dir = work / f"tasks-{style}"
    tasks_dir.mkdir(exist_ok=True)
    if style == "harness":
        tasks = {subject: f"harness_{subject}" for subject in SUBJECTS}
        for subject, task in tasks.items():
            (tasks_dir / f"{task}.yaml").write_text(harness_task_yaml(subject, data_dir))
    else:
        tasks = {subject: f"chemtune_{subject}" for subject in SUBJECTS}
        functions = "".join(
            f"\n\ndef {subject}(doc):\n    return _text(doc, {subject!r})\n" for subject in SUBJECTS
        )
        prompts = tasks_dir / "prompts.json"
        prompts.write_text(json.dumps(chat_prompts(model_path, data_dir, shots)), encoding="utf-8")
        (tasks_dir / "prompts.py").write_text(PROMPTS_PY.format(prompts=str(prompts), functions=functions))
        for subject, task in tasks.items():
            (tasks_dir / f"{task}.yaml").write_text(
                TASK_YAML.format(
                    task=task, function=subject, csv_path=data_dir / "test" / f"{subject}_test.csv"
                )
            )
    out = Path(tempfile.mkdtemp(prefix=f"lm-eval-{style}-", dir=work))
    _, seconds = timed(
        [sys.executable, "-m", "lm_eval", "run", "--model", "hf",
         "--model_args", f"pretrained={model_path},dtype=float32", "--device", "cpu",
         "--tasks", ",".join(tasks.values()), "--include_path", str(tasks_dir),
         "--batch_size", str(batch_size), "--log_samples", "--output_path", str(out),
         # chat style: the k examples are already inside chemtune's rendered prompt
         "--num_fewshot", str(shots if style == "harness" else 0)],
        work / f"lm-eval-{style}.log",
    )
    predictions, contexts = [], []
    for task in tasks.values():  # chemtune's order: subjects in turn, questions in file order
        (samples,) = out.glob(f"**/samples_{task}_*.jsonl")
        lines = [json.loads(line) for line in samples.read_text(encoding="utf-8").splitlines() if line]
        for sample in sorted(lines, key=lambda s: s["doc_id"]):
            scores = [float(resp[0]) for resp in sample["filtered_resps"]]
            predictions.append("ABCD"[max(range(4), key=scores.__getitem__)])
            contexts.append(first_context(sample.get("arguments")))
    return predictions, contexts, seconds


def first_context(arguments: object) -> str:
    """The context of a sample's first request, as a samples file stores it (a dict) or as a list."""
    if isinstance(arguments, dict):
        return next(iter(arguments.values()))["arg_0"] if arguments else ""
    return arguments[0][0] if arguments else ""


def compare(style: str, model_path: str, data_dir: Path, args: argparse.Namespace, work: Path) -> dict:
    # The two alternate, so a busy machine slows both alike; the best of the repeats counts.
    ours_runs, theirs_runs = [], []
    for _ in range(args.repeats):
        ours_runs.append(run_chemtune(model_path, data_dir, args.batch_size, args.shots, style, work))
        theirs_runs.append(run_lm_eval(model_path, data_dir, args.batch_size, args.shots, work, style))
    ours, our_prompts, ours_s, ours_scoring_s = min(ours_runs, key=lambda run: run[2])
    theirs, their_prompts, theirs_s = min(theirs_runs, key=lambda run: run[2])
    if len(ours) != len(theirs):
        raise SystemExit(f"question counts differ: chemtune {len(ours)}, lm_eval {len(theirs)}")
    n = len(ours)
    same = sum(a == b for a, b in zip(ours, theirs, strict=True)) / n
    same_prompts = sum(a == b for a, b in zip(our_prompts, their_prompts, strict=True)) / n
    return {
        "style": style,
        "questions": n,
        "identical_predictions": round(same, 4),
        "identical_prompts": round(same_prompts, 4),
        "chemtune_s": round(ours_s, 2),
        "chemtune_scoring_s": round(ours_scoring_s, 2),
        "lm_eval_s": round(theirs_s, 2),
        "chemtune_q_per_s": round(n / ours_s, 1),
        "lm_eval_q_per_s": round(n / theirs_s, 1),
        "speedup": round(theirs_s / ours_s, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct",
                        help="a preset, model folder or .gguf file (default smollm2-135m-instruct)")
    parser.add_argument("--style", choices=["both", "harness", "chat"], default="both",
                        help="prompt style(s) to compare (default both)")
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
    os.environ.setdefault("CHEMTUNE_HOME", str(work / "home"))
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        print("lm_eval is not installed: pip install lm_eval (benchmark-only dependency)", file=sys.stderr)
        return 2
    from chemtune.models import resolve

    model_path, _ = resolve(args.model)  # a preset is converted to (or found as) a local folder
    if not Path(model_path).is_dir():
        print(f"{args.model} has no local folder ({model_path}); give a preset available offline",
              file=sys.stderr)
        return 2
    data_dir = Path(args.data_dir) if args.data_dir else write_questions(work / "mmlu", args.questions)
    styles = ["harness", "chat"] if args.style == "both" else [args.style]
    figures = {"model": args.model, "shots": args.shots, "batch_size": args.batch_size,
               "repeats": args.repeats,
               "styles": [compare(style, model_path, data_dir, args, work) for style in styles]}
    for row in figures["styles"]:
        print(f"-- {row['style']} prompts, {row['questions']} questions, {args.shots}-shot")
        print(f"identical predictions    {row['identical_predictions']:.2%}   (target ≥ 99%)")
        print(f"identical prompts        {row['identical_prompts']:.2%}")
        print(f"chemtune                 {row['chemtune_q_per_s']} questions/s  "
              f"({row['chemtune_s']:.1f} s end to end, {row['chemtune_scoring_s']:.1f} s scoring)")
        print(f"lm-evaluation-harness    {row['lm_eval_q_per_s']} questions/s  "
              f"({row['lm_eval_s']:.1f} s end to end)")
        print(f"speed-up                 {row['speedup']}×   (target ≥ 2×)")
    print(json.dumps(figures))
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
