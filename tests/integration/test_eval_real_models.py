"""Log-likelihood scoring on the two real models equals plain, one-prompt-at-a-time forward passes.

The shortcuts the scorer takes (a shared prefix computed once and its cache repeated per row; logits only
at each row's last position; padding) are checked against `model(input_ids).logits[0, -1]` on SmolLM2
(Llama architecture, chat template) and Gemma 3 (a hybrid sliding-window cache, no chat template).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from chemtune.evaluate.benchmarks import SAMPLE_EXAM
from chemtune.evaluate.job import evaluate
from chemtune.evaluate.scoring import next_token_logprobs
from chemtune.models import load_model
from tests.support.exams import write_mmlu

pytestmark = [pytest.mark.real, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["smollm2", pytest.param("gemma3", marks=pytest.mark.long)])
def real(request):
    """(model folder, model, tokenizer) of each real model in turn."""
    path = request.getfixturevalue(request.param)
    model, tokenizer = load_model(str(path), device="cpu")
    return path, model, tokenizer


def plain_logprobs(model, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        return model(input_ids=torch.tensor([ids])).logits[0, -1].float().log_softmax(-1)


def sample_exam_part(folder: Path, per_language: int = 2) -> Path:
    """The bundled exam's first questions of each sub-category in each language, as an exam file."""
    kept: dict[tuple[str, str], int] = {}
    lines = []
    for line in SAMPLE_EXAM.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        key = (row["category"], row["lang"])
        if kept.get(key, 0) < per_language:
            kept[key] = kept.get(key, 0) + 1
            lines.append(line)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sample-part.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "sample-part.jsonl"


def test_loglik_predictions_on_the_sample_exam_equal_plain_scoring(real, tmp_path: Path) -> None:
    path, model, tokenizer = real
    exam = sample_exam_part(tmp_path)
    results, rows = evaluate({"model": str(path), "benchmark": str(exam), "shots": 1, "batch_size": 4,
                              "device": "cpu"}, log=lambda _: None)
    assert results["average"]["n"] == len(rows) == 12
    assert {row["lang"] for row in rows} == {"en", "ko"}
    for row in rows:
        ids = tokenizer(row["prompt"], add_special_tokens=False)["input_ids"]
        letters = []
        for letter in "ABCD":  # the token each answer letter adds after the prompt, found independently
            answered = tokenizer(row["prompt"] + letter, add_special_tokens=False)["input_ids"]
            assert answered[: len(ids)] == ids
            letters.append(answered[len(ids)])
        plain = plain_logprobs(model, ids)[letters].tolist()
        assert row["pred"] == "ABCD"[max(range(4), key=plain.__getitem__)], row["id"]
        assert list(row["logprobs"].values()) == pytest.approx(plain, abs=2e-3)


def test_harness_style_scores_the_continuations_as_a_plain_forward_pass_does(real, tmp_path: Path) -> None:
    path, model, tokenizer = real
    data = write_mmlu(tmp_path / "mmlu", n_test=2, n_dev=2)
    results, rows = evaluate({"model": str(path), "benchmark": "mmlu-chemistry", "data_dir": str(data),
                              "shots": 2, "prompt_style": "harness", "device": "cpu"}, log=lambda _: None)
    assert results["prompt_style"] == "harness" and len(rows) == 4
    for row in rows:
        assert row["prompt"].startswith("The following are multiple choice questions (with answers) about ")
        assert row["prompt"].endswith("\nAnswer:") and row["prompt"].count("Answer: ") == 2
        ids = tokenizer(row["prompt"])["input_ids"]  # with the tokenizer's own special tokens, as lm_eval
        assert (ids[0] == tokenizer.bos_token_id) == (tokenizer.bos_token == "<bos>")  # Gemma's BOS only
        continuations = [tokenizer(row["prompt"] + " " + letter)["input_ids"][len(ids):] for letter in "ABCD"]
        assert all(len(c) == 1 for c in continuations)
        plain = plain_logprobs(model, ids)[[c[0] for c in continuations]].tolist()
        assert row["pred"] == "ABCD"[max(range(4), key=plain.__getitem__)]
        assert list(row["logprobs"].values()) == pytest.approx(plain, abs=2e-3)


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_a_shared_prefix_longer_than_gemmas_sliding_window_scores_as_plain_passes(
    real, padding_side: str
) -> None:
    _, model, tokenizer = real
    text = (REPO / "README.md").read_text(encoding="utf-8")
    tokens = tokenizer(text)["input_ids"]
    prefix = tokens[:530]  # Gemma 3's sliding-window layers see 512 positions
    rows = [prefix + tokens[600 + 40 * i : 600 + 40 * i + 3 + 11 * i] for i in range(3)]
    candidates = [[tokens[700], tokens[701], tokens[702]]] * 3
    messages: list[str] = []
    got = next_token_logprobs(model, rows, candidates, batch_size=3, padding_side=padding_side,
                              log=messages.append)
    assert messages == []  # the shortcuts were used, not replaced by plain passes
    for row, values in zip(rows, got, strict=True):
        assert values == pytest.approx(plain_logprobs(model, row)[candidates[0]].tolist(), abs=1e-3)
