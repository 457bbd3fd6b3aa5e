"""What a run will cost before it starts: examples, tokens, steps and a time estimate."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

from chemtune import hardware, jobs, models
from chemtune.train import data
from chemtune.train.config import TrainConfig, fields, make_config

# Dense bf16 peak FLOP/s of common GPUs; training reaches roughly a third of it.
GPU_PEAK_FLOPS = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40": 181e12, "A6000": 155e12,
                  "4090": 165e12, "3090": 71e12, "L4": 121e12, "A10": 125e12, "V100": 125e12, "T4": 65e12}
GPU_EFFICIENCY = 0.35
CPU_EFFICIENCY = 0.3
CPU_WARNING_S = 3600  # on the CPU, a run estimated longer than this is flagged before it starts


def plan_steps(lengths: list[int], config: TrainConfig, processes: int = 1) -> dict[str, Any]:
    """Micro-batches per epoch per process, optimizer steps per epoch and in total (as the worker plans)."""
    batches = data.length_grouped_batches(lengths, config.batch_size, config.seed)
    micro = len(data.shard_batches(batches, 0, processes)) if batches else 0
    per_epoch = micro / config.grad_accum
    total = config.max_steps or max(1, math.ceil(config.epochs * per_epoch))
    return {"micro_batches_per_epoch": micro, "steps_per_epoch": round(per_epoch, 2), "steps": total}


def model_parameters(spec: str) -> float | None:
    """Parameter count of a preset, a built or local model (from its files), or None when unknown."""
    if spec in models.PRESETS and spec != "tiny":
        return models.PRESETS[spec].params_b * 1e9
    try:
        source, _ = models.resolve(spec)
    except Exception:
        return None
    folder = Path(source)
    built = folder / "chemtune_model.json"
    if built.exists():
        return float(json.loads(built.read_text())["parameters"])
    config = folder / "config.json"
    if config.exists():
        c = json.loads(config.read_text())
        hidden, layers = c.get("hidden_size"), c.get("num_hidden_layers")
        if hidden and layers:
            inter = c.get("intermediate_size") or 4 * hidden
            per_layer = 4 * hidden * hidden + 3 * hidden * inter  # attention + gated MLP
            return float(layers * per_layer + c.get("vocab_size", 0) * hidden)
    return None


def _device_flops(processes: int = 1) -> tuple[float, str, int | None]:
    """Usable FLOP/s, the device's name (a GPU's, or "CPU") and, on the CPU, the threads per process."""
    import torch

    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        peak = next((v for k, v in GPU_PEAK_FLOPS.items() if k in name), 100e12)
        return peak * GPU_EFFICIENCY * torch.cuda.device_count(), name, None
    # Timed on the threads each training process will have (not this process's own count), once per
    # process: CPU processes split the cores between them.
    threads, before = hardware.cpu_threads(processes), torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a = torch.randn(384, 384)
        a @ a  # the first product pays for starting the thread pool
        start = time.perf_counter()
        for _ in range(8):
            a @ a
        seconds = (time.perf_counter() - start) / 8
    finally:
        torch.set_num_threads(before)
    return 2 * 384**3 / seconds * CPU_EFFICIENCY * processes, "CPU", threads


def _past_rate(config: TrainConfig) -> tuple[float, str] | None:
    """Tokens/s of the newest finished run with the same model and process count on this workspace."""
    for row in jobs.list_runs(kind="train"):
        result = row.get("result") or {}
        if row.get("status") != "done" or not result.get("tokens_per_second"):
            continue
        try:
            past = jobs.RunFolder(Path(row["run_dir"])).config()
        except Exception:
            continue
        keys = ("model", "num_processes", "distributed", "qlora", "gradient_checkpointing", "precision",
                "batching")
        same = all(past.get(key, fields()[key].default) == getattr(config, key) for key in keys)
        # On the CPU the speed follows the thread count, and runs from before it was recorded had one.
        if same and not _cuda_available() and result.get("cpu_threads") != hardware.cpu_threads(
                config.num_processes):
            continue
        if same:
            return float(result["tokens_per_second"]), row["run_id"]
    return None


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def estimate(values: dict[str, Any] | TrainConfig, tokenizer: Any = None) -> dict[str, Any]:
    """Examples, tokens, steps and seconds a run with these options would take."""
    config = values if isinstance(values, TrainConfig) else make_config(values)
    tokenizer = tokenizer or models.load_tokenizer(config.model, trust_remote_code=config.trust_remote_code)
    prepared = data.prepare(config, tokenizer)
    lengths = [len(e["input_ids"]) for e in prepared.train]
    plan = plan_steps(lengths, config, config.num_processes)
    tokens_per_step = sum(lengths) / max(1e-9, plan["steps_per_epoch"])
    run_tokens = int(tokens_per_step * plan["steps"])
    past = _past_rate(config)
    # How the speed was found, as data (the pages word it in their language) and as an English phrase.
    how: dict[str, Any] = {"basis_run": None, "basis_device": None, "basis_threads": None}
    if past:
        rate, basis = past[0], f"measured in run {past[1]}"
        how["basis_run"] = past[1]
    else:
        params = model_parameters(config.model)
        flops, device, threads = _device_flops(config.num_processes)
        how.update(basis_device=device, basis_threads=threads)
        device = f"CPU with {threads} threads per process" if threads else device
        # LoRA training: forward 2N and backward 2N FLOPs per token (frozen weights need no weight gradient);
        # gradient checkpointing repeats the forward.
        per_token = (6 if config.gradient_checkpointing else 4) * (params or 7e9)
        rate, basis = flops / per_token, f"rough guess from the model size and the speed of the {device}"
    stats = prepared.stats
    seconds = round(run_tokens / rate, 1) if rate else None
    return {
        "train_examples": stats["train_examples"], "val_examples": stats["val_examples"],
        "epoch_tokens": stats["train_tokens"], "response_tokens": stats["response_tokens"],
        "run_tokens": run_tokens, "truncated": stats["truncated"], "dropped": stats["dropped"],
        "no_response": stats["no_response"], "length_note": data.describe_length_handling(stats),
        **plan, "tokens_per_second": round(rate, 1), "seconds": seconds,
        "basis": basis, **how, "max_length": config.max_length, "datasets": stats["datasets"],
        "warnings": warnings(config, seconds),
    }


def warnings(config: TrainConfig, seconds: float | None) -> list[dict[str, str]]:
    """What to know before starting, in English and Korean: a CPU run of hours, a gated base model."""
    found = []
    if seconds is not None and seconds > CPU_WARNING_S and not _cuda_available():
        space = bool(os.environ.get("SPACE_ID"))
        where = " (this Space runs on CPU hardware: pick a GPU in the Space's settings)" if space else ""
        where_ko = " (이 Space는 CPU 하드웨어입니다. Space 설정에서 GPU를 고르세요)" if space else ""
        found.append({
            "en": f"This run would take about {format_seconds(seconds)} on the CPU{where}; for a first try "
                  "lower max steps, epochs or max length, or pick a smaller model.",
            "ko": f"이 학습은 CPU에서 약 {format_seconds(seconds)} 걸립니다{where_ko}. 처음에는 최대 "
                  "스텝, 에포크, 최대 길이를 줄이거나 더 작은 모델을 고르세요."})
    notice = models.gated_notice(config.model)
    if notice:
        found.append(notice)
    return found


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} min {seconds % 60:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def summary_text(est: dict[str, Any]) -> str:
    """The estimate as one short paragraph."""
    text = (f"{est['train_examples']:,} training examples ({est['epoch_tokens']:,} tokens per epoch, "
            f"{est['val_examples']:,} held out for eval) → {est['steps']:,} steps, about "
            f"{est['run_tokens']:,} tokens, ≈ {format_seconds(est['seconds'])} "
            f"at {est['tokens_per_second']:,.0f} tokens/s ({est['basis']}).")
    if est.get("length_note"):
        text += " " + est["length_note"]
    for warning in est.get("warnings") or []:
        text += " ⚠️ " + warning["en"]
    return text
