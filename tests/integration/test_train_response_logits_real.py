"""Training's response-only logits (`logits_to_keep` with a mask) give the loss of a plain full forward pass
with masked cross-entropy, on SmolLM2 and Gemma 3."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from chemtune.models import load_model
from chemtune.prompting import build_prompt, tokenize_for_training
from chemtune.train.model import response_loss, supports_logits_mask

pytestmark = [pytest.mark.real, pytest.mark.slow]

RECORDS = [
    ("You are an expert chemist.", "What is the pH of 0.01 M HCl?", "",
     "The pH is 2, since HCl dissociates fully."),
    (None, "촉매란 무엇인가?", "한 문장으로 답하세요.",
     "반응 속도를 높이지만 자신은 소모되지 않는 물질입니다."),
    (None, "Balance: H2 + O2 -> H2O", "", "2 H2 + O2 -> 2 H2O"),
]


@pytest.mark.parametrize("name", ["smollm2", pytest.param("gemma3", marks=pytest.mark.long)])
def test_response_only_logits_give_the_plain_masked_loss(name: str, request: pytest.FixtureRequest) -> None:
    model, tokenizer = load_model(str(request.getfixturevalue(name)), device="cpu")
    assert supports_logits_mask(model)
    examples = [tokenize_for_training(tokenizer, build_prompt(tokenizer, *record)) for record in RECORDS]
    width = max(len(e["input_ids"]) for e in examples)
    pad = tokenizer.pad_token_id
    batch = {
        "input_ids": torch.tensor([e["input_ids"] + [pad] * (width - len(e["input_ids"])) for e in examples]),
        "attention_mask": torch.tensor([[1] * len(e["input_ids"]) + [0] * (width - len(e["input_ids"]))
                                        for e in examples]),
        "labels": torch.tensor([e["labels"] + [-100] * (width - len(e["labels"])) for e in examples]),
    }
    targets = batch["labels"][:, 1:]
    n_items = (targets != -100).sum()
    assert 0 < n_items < batch["attention_mask"].sum() // 2  # responses are a part of the text only
    with torch.no_grad():
        fast = response_loss(model, batch, n_items)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
        plain = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
                                ignore_index=-100, reduction="sum") / n_items
    assert float(fast) == pytest.approx(float(plain), rel=1e-4, abs=1e-4)
