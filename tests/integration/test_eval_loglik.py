"""Scoring on the tiny model: batched log-likelihoods and greedy answers equal one-at-a-time ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from chemtune import workspace
from chemtune.evaluate.benchmarks import load_exam
from chemtune.evaluate.job import evaluate, resolve_adapter
from chemtune.evaluate.prompts import messages_for, pick_shots
from chemtune.evaluate.scoring import (
    _common_prefix,
    generate_greedy,
    letter_token_ids,
    next_token_logprobs,
    next_token_logprobs_one,
)
from chemtune.models import build_tiny, load_model
from chemtune.prompting import render_messages, tokenize_prompt
from tests.support.exams import write_kmmlu, write_mmlu

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="module")
def tiny(tiny_path: Path):
    return load_model(str(tiny_path), device="cpu")


def prepared(tokenizer, exam, shots: int = 0):
    conversations = [
        messages_for(q, pick_shots(q, shots, exam.dev, exam.questions), "loglik") for q in exam.questions
    ]
    prompts = [render_messages(tokenizer, m) for m in conversations]
    ids = [tokenize_prompt(tokenizer, p) for p in prompts]
    candidates = [
        letter_token_ids(tokenizer, m, p, q.letters)
        for m, p, q in zip(conversations, prompts, exam.questions, strict=True)
    ]
    return ids, candidates


@pytest.mark.parametrize(
    ("padding_side", "batch_size", "grouped"),
    [("left", 5, False), ("right", 5, False), ("right", 4, True)],
)
def test_batched_log_likelihood_equals_one_question_at_a_time(
    tiny, tmp_path: Path, padding_side: str, batch_size: int, grouped: bool
) -> None:
    model, tokenizer = tiny
    exam = load_exam("mmlu-chemistry", str(write_mmlu(tmp_path / "mmlu", n_test=6)))
    ids, candidates = prepared(tokenizer, exam, shots=1)
    assert len({len(x) for x in ids}) > 3  # prompts of different lengths: batches are padded
    # Grouped by sub-category, right-padded batches share a long prefix (system, header, the 1-shot example)
    groups = [q.subset for q in exam.questions] if grouped else None
    if grouped:
        same_subset = [x for x, q in zip(ids, exam.questions, strict=True) if q.subset == "college"]
        assert _common_prefix(same_subset) > 40  # the part computed once per batch
    batched = next_token_logprobs(
        model, ids, candidates, batch_size=batch_size, padding_side=padding_side, groups=groups
    )
    plain = [next_token_logprobs_one(model, x, c) for x, c in zip(ids, candidates, strict=True)]
    for got, want in zip(batched, plain, strict=True):
        assert got == pytest.approx(want, abs=1e-4)
        assert max(range(4), key=got.__getitem__) == max(range(4), key=want.__getitem__)


def test_batched_greedy_generation_equals_one_question_at_a_time(tiny, tmp_path: Path) -> None:
    model, tokenizer = tiny
    exam = load_exam("mmlu-chemistry", str(write_mmlu(tmp_path / "mmlu", n_test=6)))
    conversations = [messages_for(q, [], "generate") for q in exam.questions]
    ids = [tokenize_prompt(tokenizer, render_messages(tokenizer, m)) for m in conversations]
    assert len({len(x) for x in ids}) > 3  # prompts of different lengths: batches are left-padded
    batched = generate_greedy(model, tokenizer, ids, max_new_tokens=24, batch_size=4)
    plain = [generate_greedy(model, tokenizer, [x], max_new_tokens=24, batch_size=1)[0] for x in ids]
    assert batched == plain and all(batched)


def test_option_letters_are_the_first_response_token(tiny) -> None:
    _, tokenizer = tiny
    messages = [{"role": "user", "content": "Which is an acid?\nA. HCl\nB. NaOH\nC. NaCl\nD. KOH"}]
    prompt = render_messages(tokenizer, messages)
    ids = letter_token_ids(tokenizer, messages, prompt, "ABCD")
    assert [tokenizer.decode([i]) for i in ids] == ["A", "B", "C", "D"]


def test_evaluate_predictions_equal_plain_scoring_of_the_saved_prompts(
    tiny_path: Path, tiny, tmp_path: Path
) -> None:
    model, tokenizer = tiny
    results, rows = evaluate(
        {
            "model": str(tiny_path),
            "benchmark": "mmlu-chemistry",
            "shots": 2,
            "batch_size": 4,
            "data_dir": str(write_mmlu(tmp_path / "mmlu", n_test=5)),
        },
        log=lambda _: None,
    )
    assert results["average"]["n"] == 10 and set(results["subsets"]) == {"high_school", "college"}
    letter_ids = [tokenizer.convert_tokens_to_ids(letter) for letter in "ABCD"]
    for row in rows:
        plain = next_token_logprobs_one(
            model, tokenizer(row["prompt"], add_special_tokens=False)["input_ids"], letter_ids
        )
        assert row["pred"] == "ABCD"[max(range(4), key=plain.__getitem__)]
        assert list(row["logprobs"].values()) == pytest.approx(plain, abs=1e-3)
        assert row["correct"] == (row["pred"] == row["gold"])
    # 2-shot: the dev questions come first, as earlier user/assistant turns, then the question itself
    first = rows[0]["prompt"]
    assert first.count("<|im_start|>user") == 3 and "<|im_start|>assistant\nA<|im_end|>" in first
    assert first.endswith(
        f"{rows[0]['question']}\nA. HCl\nB. CH3COOH\nC. H2O\nD. NH3<|im_end|>\n<|im_start|>assistant\n"
    )
    accuracy = sum(r["correct"] for r in rows) / len(rows)
    assert results["average"]["accuracy"] == pytest.approx(accuracy)


def test_korean_exam_gets_the_korean_template(tiny_path: Path, tmp_path: Path) -> None:
    results, rows = evaluate(
        {
            "model": str(tiny_path),
            "benchmark": "kmmlu-chemistry",
            "limit": 1,
            "data_dir": str(write_kmmlu(tmp_path / "kmmlu")),
        },
        log=lambda _: None,
    )
    assert results["subset_order"] == ["Chemistry", "Chemical-Engineering", "Materials-Engineering"]
    assert "다음은 화학에 관한 객관식 문제입니다." in rows[0]["prompt"]
    assert "다음은 화학공학에 관한 객관식 문제입니다." in rows[1]["prompt"]


def test_generate_method_keeps_raw_output_and_reports_unparsed(tiny_path: Path, tmp_path: Path) -> None:
    results, rows = evaluate(
        {
            "model": str(tiny_path),
            "benchmark": "mmlu-chemistry",
            "method": "generate",
            "limit": 1,
            "max_new_tokens": 6,
            "data_dir": str(write_mmlu(tmp_path / "m")),
        },
        log=lambda _: None,
    )
    assert len(rows) == 2 and all("raw" in row for row in rows)
    assert '{"Answer": "<letter>", "Explanation": "<a short explanation>"}' in rows[0]["prompt"]
    unparsed = sum(1 for row in rows if row["pred"] is None)
    assert results["average"]["unparsed"] == unparsed  # an untrained model rarely answers in form
    assert results["average"]["accuracy"] == sum(r["correct"] for r in rows) / 2


def test_adapter_from_a_finished_train_run_is_loaded(tiny_path: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_path)
    # Non-zero LoRA weights, so the adapter really changes the scores (a fresh one would not).
    lora = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], lora_dropout=0.0,
                                           init_lora_weights=False))
    run_dir = workspace.runs_dir() / "train-test"
    lora.save_pretrained(run_dir / "adapter")
    workspace.write_yaml(run_dir / "config.yaml", {"kind": "train", "model": str(tiny_path)})
    workspace.write_json(
        run_dir / "status.json",
        {"status": "done", "kind": "train", "result": {"adapter_dir": str(run_dir / "adapter")}},
    )
    assert resolve_adapter("train-test") == str((run_dir / "adapter").resolve())
    config = {"model": str(tiny_path), "benchmark": "mmlu-chemistry", "limit": 1,
              "data_dir": str(write_mmlu(tmp_path / "m"))}
    results, rows = evaluate({**config, "adapter": "train-test"}, log=lambda _: None)
    _, base_rows = evaluate(config, log=lambda _: None)
    assert results["label"].endswith("+ train-test") and len(rows) == 2
    assert [r["logprobs"] for r in rows] != [r["logprobs"] for r in base_rows]


class WithoutShortcuts(torch.nn.Module):
    """A model whose forward takes neither `logits_to_keep` nor a cache (as some custom-code models)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model, self.config = model, model.config

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids)


class BrokenCache(WithoutShortcuts):
    """Takes the shortcuts' arguments but gets the continued-from-cache numbers wrong."""

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None,
                use_cache=None, logits_to_keep=0):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=past_key_values, use_cache=use_cache, logits_to_keep=logits_to_keep)
        if past_key_values is not None:
            out.logits = out.logits + torch.linspace(0, 3, out.logits.shape[-1])
        return out


@pytest.mark.parametrize("wrapper", [WithoutShortcuts, BrokenCache])
@pytest.mark.parametrize("padding_side", ["left", "right"])
def test_a_model_without_working_shortcuts_is_scored_with_plain_forward_passes(
    tiny, tmp_path: Path, wrapper, padding_side: str
) -> None:
    model, tokenizer = tiny
    exam = load_exam("mmlu-chemistry", str(write_mmlu(tmp_path / "mmlu", n_test=4)))
    ids, candidates = prepared(tokenizer, exam, shots=1)
    messages: list[str] = []
    got = next_token_logprobs(wrapper(model), ids, candidates, batch_size=4, padding_side=padding_side,
                              groups=[q.subset for q in exam.questions], log=messages.append)
    plain = [next_token_logprobs_one(model, x, c) for x, c in zip(ids, candidates, strict=True)]
    for row, want in zip(got, plain, strict=True):
        assert row == pytest.approx(want, abs=1e-4)
    # the broken cache is noticed (right padding is the path that reuses the shared prefix)
    assert bool(messages) == (wrapper is BrokenCache and padding_side == "right")
