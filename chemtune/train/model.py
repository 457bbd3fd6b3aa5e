"""The model a run trains: the base on its device, the LoRA adapter, FSDP sharding, and the loss on
response tokens. The loop that steps it is `worker.py`."""

from __future__ import annotations

import os
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.train.config import TrainConfig


def is_first_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def say(message: str) -> None:
    """A line in the run's log, from the first process only."""
    if is_first_process():
        print(message, flush=True)  # stdout is the run's log.txt


def load_base(config: TrainConfig, device: Any, precision: str, local_rank: int) -> Any:
    """The base model on this process's device: full precision weights, or 4-bit for QLoRA."""
    from chemtune import models

    if not config.qlora:
        model, _ = models.load_model(config.model, device=str(device), dtype=precision,
                                     trust_remote_code=config.trust_remote_code)
        return model
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    compute = torch.bfloat16 if precision == "bf16" else torch.float16
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=compute)
    source, _ = models.resolve(config.model)
    try:
        return AutoModelForCausalLM.from_pretrained(
            source, quantization_config=quant, dtype=compute, device_map={"": local_rank},
            use_safetensors=True, trust_remote_code=config.trust_remote_code)
    except Exception as exc:
        raise models._explain_load_error(config.model, exc) from None


def add_lora(model: Any, config: TrainConfig) -> Any:
    """Wrap the base in a PEFT LoRA model (gradient checkpointing and k-bit preparation first)."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    checkpointing = {"use_reentrant": False}
    if config.qlora:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.gradient_checkpointing,
            gradient_checkpointing_kwargs=checkpointing)
    elif config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpointing)
        model.enable_input_require_grads()
    model.config.use_cache = False
    targets = "all-linear" if config.target_modules == "all-linear" else config.target_modules.split(",")
    lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=targets, use_rslora=config.use_rslora, use_dora=config.use_dora,
                      bias="none", task_type="CAUSAL_LM")
    try:
        return get_peft_model(model, lora)
    except ValueError as exc:
        raise ChemtuneError(f"LoRA target modules {config.target_modules!r} do not fit this model: "
                            f"{str(exc).splitlines()[0]}",
                            ko=f"LoRA 대상 모듈 {config.target_modules!r}이(가) 이 모델에 맞지 않습니다: "
                               f"{str(exc).splitlines()[0]}") from None


def shard(model: Any, device: Any, precision: str) -> Any:
    """FSDP: shard the model's weights across the processes, one decoder layer at a time, then the rest.

    torch's own `fully_shard` (FSDP2) on a mesh of all processes: NCCL between GPUs, gloo between CPU
    processes. Each layer is moved to `device` as it is sharded, so a model loaded on the CPU never has
    to fit on one GPU whole. Optimizers must be built after this (the parameters become sharded)."""
    import torch
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mesh = init_device_mesh(torch.device(device).type, (torch.distributed.get_world_size(),))
    policy = MixedPrecisionPolicy()
    if precision == "bf16":  # compute in bf16, reduce gradients in fp32 (the LoRA weights stay fp32)
        policy = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    base = model.get_base_model()
    layer_types = set(getattr(base, "_no_split_modules", None) or [])
    layers = [m for m in model.modules() if type(m).__name__ in layer_types]
    for layer in layers:
        fully_shard(layer, mesh=mesh, mp_policy=policy)
    fully_shard(model, mesh=mesh, mp_policy=policy)
    say(f"FSDP: {len(layers)} {'/'.join(sorted(layer_types)) or 'layer'} units sharded over "
        f"{mesh.size()} processes")
    return model


def response_loss(model: Any, batch: dict, n_items: Any, logits_for_responses: bool = True) -> Any:
    """Summed cross-entropy over the response tokens of `batch`, divided by `n_items`.

    Logits are computed only where the next token is part of a response (`logits_to_keep` with a mask):
    prompts are often most of the text, and a 150k-word vocabulary makes their logits the largest tensor
    of the step. Models without `logits_to_keep` fall back to the usual full logits."""
    import torch
    import torch.nn.functional as F

    if not logits_for_responses:
        return model(**batch, num_items_in_batch=n_items, use_cache=False).loss
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    targets = batch["labels"][:, 1:]
    keep = torch.zeros_like(batch["labels"], dtype=torch.bool)
    keep[:, :-1] = targets != -100
    logits = model(**inputs, logits_to_keep=keep, use_cache=False).logits
    logits = logits.reshape(-1, logits.shape[-1]).float()
    return F.cross_entropy(logits, targets[keep[:, :-1]], reduction="sum") / n_items


def supports_logits_mask(model: Any) -> bool:
    """Whether the base model's forward takes `logits_to_keep` (transformers' own models do)."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters
