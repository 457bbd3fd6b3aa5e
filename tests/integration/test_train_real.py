"""LoRA training of a real pretrained model (SmolLM2-135M-Instruct) through the ordinary CLI run: the eval
loss falls, and the adapter, loaded with plain PEFT, changes the model and scores the held-out answers
as the run said it would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chemtune import records
from chemtune.train import data
from chemtune.train.config import make_config

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.real, pytest.mark.slow, pytest.mark.long]


def response_loss(model, examples: list[dict]) -> float:
    """Mean cross-entropy per response token with a plain full forward, one example at a time."""
    import torch

    total, count = 0.0, 0
    with torch.no_grad():
        for example in examples:
            ids = torch.tensor([example["input_ids"]])
            labels = torch.tensor([example["labels"]])
            logits = model(input_ids=ids).logits[0, :-1].float()
            targets = labels[0, 1:]
            keep = targets != -100
            total += torch.nn.functional.cross_entropy(logits[keep], targets[keep], reduction="sum").item()
            count += int(keep.sum())
    return total / count


def test_twenty_lora_steps_on_smollm2_lower_the_eval_loss_and_load_with_plain_peft(
        smollm2: Path, isolated_workspace: Path) -> None:
    # The English sample records without a long source text: whole examples fit in 256 tokens.
    rows = [json.loads(line) for line in records.SAMPLE_PATH.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    short = [r for r in rows if r.get("lang") == "en" and len(r.get("input") or "") < 300]
    records.save_dataset("chem-en", short)
    options = {"model": str(smollm2), "data": ["chem-en"], "max_length": 256, "val_split": 0.25,
               "max_steps": 20, "batch_size": 2, "grad_accum": 1, "learning_rate": 1e-3, "eval_steps": 0}
    argv = [sys.executable, "-m", "chemtune", "train", "--json"]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", ",".join(value) if isinstance(value, list) else str(value)]
    env = {**os.environ, "CHEMTUNE_HOME": str(isolated_workspace)}
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "done" and result["steps"] == 20

    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # The held-out examples exactly as the run split and tokenized them.
    val = data.prepare(make_config(options), AutoTokenizer.from_pretrained(str(smollm2))).val
    assert len(val) >= 5
    base = AutoModelForCausalLM.from_pretrained(str(smollm2)).eval()
    before = response_loss(base, val)
    tuned = PeftModel.from_pretrained(base, result["adapter_dir"]).eval()
    after = response_loss(tuned, val)
    assert after < before - 0.1, (before, after)
    # The run's own final eval loss is the adapter's loss on those examples.
    assert result["eval_loss"] == pytest.approx(after, rel=2e-3)

    import torch

    ids = torch.tensor([val[0]["input_ids"]])
    with torch.no_grad():
        tuned_logits = tuned(input_ids=ids).logits
        with tuned.disable_adapter():
            base_logits = tuned(input_ids=ids).logits
    assert (tuned_logits - base_logits).abs().max() > 1e-2
