"""The model card (README.md) of a published run: what it was tuned from, on what, how, and how it scored.

The metadata block is written by huggingface_hub's own `ModelCardData`, so `model-index` is in the form
the Hub reads its evaluation results from."""

from __future__ import annotations

from typing import Any

from chemtune.share.runs import RunFacts

LOSS_IMAGE = "loss.png"
SKIPPED_OPTIONS = ("data",)  # shown in the datasets table instead


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def eval_results(facts: RunFacts, model_name: str) -> list[Any]:
    """One EvalResult per finished evaluation and metric (macro-F1, accuracy), for model-index."""
    from huggingface_hub import EvalResult

    results = []
    for ev in facts.evaluations:
        average = ev.get("average") or {}
        common = {"task_type": "multiple-choice", "task_name": "Multiple choice (chemistry)",
                  "dataset_type": str(ev.get("benchmark")), "dataset_name": str(ev.get("exam") or
                                                                               ev.get("benchmark")),
                  "dataset_args": {"method": ev.get("method"), "shots": ev.get("shots")},
                  "metric_args": {"eval_id": ev.get("eval_id")}}
        for metric, name in (("macro_f1", "macro-F1"), ("accuracy", "accuracy")):
            if average.get(metric) is not None:
                results.append(EvalResult(metric_type="f1" if metric == "macro_f1" else "accuracy",
                                          metric_name=name, metric_value=round(float(average[metric]), 4),
                                          **common))
    return results


def metadata(facts: RunFacts, repo_id: str, merged: bool) -> str:
    from huggingface_hub import ModelCardData

    langs = sorted({lang for d in facts.datasets for lang in d.get("langs", {})}) or None
    name = repo_id.split("/", 1)[1]
    data = ModelCardData(
        base_model=facts.hub_base, language=langs, library_name="transformers" if merged else "peft",
        tags=["chemistry", "chemtune", "lora", *([] if merged else ["peft"])],
        pipeline_tag="text-generation", model_name=name, eval_results=eval_results(facts, name) or None)
    return data.to_yaml().rstrip("\n") + "\n"


def _datasets_table(facts: RunFacts) -> str:
    lines = ["| dataset | weight | records | by task | by language |", "|---|---|---|---|---|"]
    for d in facts.datasets:
        tasks = ", ".join(f"{task} {n}" for task, n in d["tasks"].items()) or "–"
        langs = ", ".join(f"{lang} {n}" for lang, n in d["langs"].items()) or "–"
        count = "?" if d["count"] is None else f"{d['count']:,}"
        lines.append(f"| `{d['name']}` | {d['weight']:g} | {count} | {tasks} | {langs} |")
    return "\n".join(lines)


def _evaluations_table(facts: RunFacts) -> str:
    if not facts.evaluations:
        return "No finished evaluation of this adapter yet (run one in the Evaluate tab or with " \
               "`python -m chemtune eval`)."
    lines = ["| benchmark | method | shots | questions | macro-F1 | micro-F1 | accuracy | unparsed | eval |",
             "|---|---|---|---|---|---|---|---|---|"]
    for ev in facts.evaluations:
        a = ev.get("average") or {}
        lines.append(f"| {ev.get('exam') or ev.get('benchmark')} | {ev.get('method')} | {ev.get('shots')} | "
                     f"{a.get('n')} | {_pct(a.get('macro_f1'))} | {_pct(a.get('micro_f1'))} | "
                     f"{_pct(a.get('accuracy'))} | {a.get('unparsed')} | `{ev.get('eval_id')}` |")
    note = "Scores in percent; macro-F1 is over the answer options, an unparsed answer counts as wrong."
    return note + "\n\n" + "\n".join(lines)


def _options_table(facts: RunFacts) -> str:
    rows = [f"| `{key}` | `{value}` |" for key, value in facts.config.items() if key not in SKIPPED_OPTIONS]
    return "| option | value |\n|---|---|\n" + "\n".join(rows)


def _figures(facts: RunFacts) -> str:
    r = facts.result
    parts = [(r.get("steps"), "optimizer steps"), (r.get("final_loss"), "final training loss"),
             (r.get("eval_loss"), "final eval loss"), (r.get("train_tokens"), "tokens trained on"),
             (r.get("train_examples"), "training examples"), (r.get("val_examples"), "validation examples")]
    return "\n".join(f"- {label}: {value:.4f}" if isinstance(value, float) else f"- {label}: {value:,}"
                     for value, label in parts if value is not None)


def _usage(facts: RunFacts, repo_id: str, merged: bool) -> str:
    base = facts.hub_base or f"<the base model `{facts.base_model}`>"
    if merged:
        return f"""```python
from transformers import AutoModelForCausalLM, AutoTokenizer

model = AutoModelForCausalLM.from_pretrained("{repo_id}")
tokenizer = AutoTokenizer.from_pretrained("{repo_id}")
```"""
    return f"""```python
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

base = AutoModelForCausalLM.from_pretrained("{base}")
model = PeftModel.from_pretrained(base, "{repo_id}")
tokenizer = AutoTokenizer.from_pretrained("{base}")
```"""


def render_card(facts: RunFacts, repo_id: str, merged: bool, loss_image: bool = True) -> str:
    """The whole README.md: metadata, then base model, datasets, options, loss curve, scores, usage."""
    what = "the base model with a LoRA adapter merged in" if merged else "a LoRA adapter"
    base = f"`{facts.base_model}`" + (f" ([{facts.hub_base}](https://huggingface.co/{facts.hub_base}))"
                                      if facts.hub_base else " (a local model, not on the Hub)")
    image = f"![training loss]({LOSS_IMAGE})\n\n" if loss_image else ""
    return f"""---
{metadata(facts, repo_id, merged)}---

# {repo_id.split('/', 1)[1]}

This is {what}, instruction-tuned for chemistry in Korean and English with chemtune (run `{facts.run_id}`).

- Base model: {base}
{_figures(facts)}

## Datasets

{_datasets_table(facts)}

## Evaluation

{_evaluations_table(facts)}

## Training

{image}{_options_table(facts)}

## Use it

{_usage(facts, repo_id, merged)}

Prompts must be built the way training built them: the model's chat template when it has one, chemtune's
instruction template (`### Instruction:` / `### Response:`) otherwise.
"""
