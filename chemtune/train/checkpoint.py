"""Checkpoints for resume, the final adapter with its README, and the optional merged model."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from chemtune import workspace

CHECKPOINTS = "checkpoints"
ADAPTER = "adapter"
MERGED = "merged"
STATE_FILE = "trainer_state.json"


def checkpoint_dir(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / CHECKPOINTS / f"step-{step:07d}"


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint (one with its state file written last), or None."""
    root = Path(run_dir) / CHECKPOINTS
    if not root.is_dir():
        return None
    done = sorted(p for p in root.iterdir() if p.name.startswith("step-") and (p / STATE_FILE).exists())
    return done[-1] if done else None


def save_checkpoint(run_dir: Path, model: Any, weights: dict, optimizer_state: dict, state: dict,
                    keep: int) -> Path:
    """Write adapter, optimizer and loop state; a half-written checkpoint is never used.

    `weights` and `optimizer_state` are the full (gathered) tensors from `gather_state`, so a checkpoint
    is the same whether it was trained in one process, with DDP or with FSDP, and resumes under any. The
    learning-rate schedule needs no file of its own: its position is the step (see `schedule_at`)."""
    import torch

    target = checkpoint_dir(run_dir, state["step"])
    tmp = target.with_name(target.name + ".writing")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, state_dict=weights)
    torch.save(optimizer_state, tmp / "optimizer.pt")
    workspace.write_json(tmp / STATE_FILE, state)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    _prune(target.parent, keep)
    return target


def gather_state(model: Any, optimizer: Any, sharded: bool) -> tuple[dict, dict]:
    """The trainable weights and the optimizer state as full tensors, keyed by parameter name.

    With FSDP (`sharded`) every process must call this (the shards are gathered) and only the first gets
    the tensors, on the CPU; otherwise each process reads its own full copy."""
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_optimizer_state_dict,
    )

    options = StateDictOptions(full_state_dict=True, cpu_offload=sharded, ignore_frozen_params=True)
    return (get_model_state_dict(model, options=options),
            get_optimizer_state_dict(model, optimizer, options=options))


def _prune(root: Path, keep: int) -> None:
    done = sorted(p for p in root.iterdir() if p.name.startswith("step-") and (p / STATE_FILE).exists())
    for old in done[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob("*.writing"):
        shutil.rmtree(stale, ignore_errors=True)


def load_weights(path: Path, model: Any) -> None:
    """Load a checkpoint's adapter weights into the (not yet sharded) model."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(str(path / "adapter_model.safetensors")))


def load_training_state(path: Path, model: Any, optimizer: Any) -> dict:
    """Load a checkpoint's optimizer into the live one (after any sharding); return the loop state. Under
    FSDP every process must call this."""
    import torch
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    saved = torch.load(path / "optimizer.pt", map_location="cpu", weights_only=True)
    if any(isinstance(key, int) for key in saved.get("state", {})) or \
            any(isinstance(key, int) for group in saved["param_groups"] for key in group["params"]):
        saved = _by_name(saved, model)
    set_optimizer_state_dict(model, optimizer, saved, options=StateDictOptions(full_state_dict=True))
    return json.loads((path / STATE_FILE).read_text(encoding="utf-8"))


def schedule_at(scheduler: Any, step: int) -> float:
    """Put a freshly built LambdaLR schedule where it stands after `step` optimizer steps; return the rate
    the next step trains at.

    The rate is a function of the plan (scheduler, warmup, total steps) and the step alone, so a run
    resumed with the same plan continues exactly, and one resumed with a larger max_steps follows the new
    plan from where it is instead of the finished plan's last rate (0 for cosine and linear). The rates
    loaded with the optimizer's state are the old plan's and are replaced."""
    rates = [base * rule(step) for base, rule in zip(scheduler.base_lrs, scheduler.lr_lambdas, strict=True)]
    scheduler.last_epoch, scheduler._step_count = step, step + 1
    for group, base, rate in zip(scheduler.optimizer.param_groups, scheduler.base_lrs, rates, strict=True):
        group["lr"], group["initial_lr"] = rate, base
    scheduler._last_lr = rates
    return rates[0]


def _by_name(saved: dict, model: Any) -> dict:
    """An optimizer state keyed by position (as older checkpoints hold it) re-keyed by parameter name."""
    names = [name for name, param in model.named_parameters() if param.requires_grad]
    return {"state": {names[index]: value for index, value in saved["state"].items()},
            "param_groups": [{**group, "params": [names[i] for i in group["params"]]}
                             for group in saved["param_groups"]]}


def save_adapter(run_dir: Path, model: Any, weights: dict, readme: str) -> Path:
    """The final adapter in the standard PEFT layout, with our README instead of PEFT's blank card."""
    target = Path(run_dir) / ADAPTER
    model.save_pretrained(target, state_dict=weights)
    workspace.write_text_atomic(target / "README.md", readme)
    return target


def adapter_readme(config: dict, base_source: str, summary: dict) -> str:
    """A model card: base model, datasets, options and the final figures, readable on the Hub."""
    options = "\n".join(f"| `{key}` | `{value}` |" for key, value in config.items()
                        if key not in ("kind", "resume"))
    datasets = ", ".join(f"`{d}`" for d in config.get("data", []))
    figures = "\n".join(f"- {label}: {summary[key]}" for key, label in (
        ("status", "status"), ("steps", "optimizer steps"), ("final_loss", "final training loss"),
        ("eval_loss", "final eval loss"), ("train_tokens", "tokens trained on (all epochs)"),
        ("tokens_per_second", "tokens per second"), ("train_examples", "training examples"),
        ("val_examples", "validation examples")) if summary.get(key) is not None)
    return f"""---
base_model: {base_source}
library_name: peft
tags: [lora, chemistry, chemtune]
---

# LoRA adapter trained with chemtune

- Base model: `{config.get('model')}` (`{base_source}`)
- Datasets: {datasets}
{figures}

## Load it

```python
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

base = AutoModelForCausalLM.from_pretrained("{base_source}")
model = PeftModel.from_pretrained(base, "path/to/this/folder")
tokenizer = AutoTokenizer.from_pretrained("{base_source}")
```

Prompts must be built the way training built them (`chemtune.prompting.build_prompt`): the model's chat
template when it has one, chemtune's instruction template otherwise.

## Training options

| option | value |
|---|---|
{options}
"""


def export_merged(run_dir: Path, model_spec: str, adapter_dir: Path, precision: str,
                  trust_remote_code: bool) -> Path:
    """Reload the base in full precision on the CPU, merge the adapter in and save a standalone model.

    Reloading (rather than merging the training copy) keeps a 4-bit QLoRA base from being merged lossy."""
    from chemtune import hardware, models

    dtype = hardware.resolve_precision(precision)  # the dtype it trained in, by the training rule
    model, tokenizer = models.load_model(model_spec, adapters=str(adapter_dir), device="cpu", dtype=dtype,
                                         trust_remote_code=trust_remote_code)
    merged = model.merge_and_unload()
    target = Path(run_dir) / MERGED
    tmp = target.with_name(target.name + ".writing")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target
