"""chemtune's LoRA trainer versus a plain baseline on the same model, data and LoRA settings.

    python benchmarks/train_throughput.py [--steps 30] [--batch-size 4] [--max-length 1024] [--model tiny]
    python benchmarks/train_throughput.py --model llama-1b     # on a GPU: a ~1B Llama built from a config

Data: instruction records of mixed lengths (the bundled sample set, some answers made several times longer),
rendered and tokenized once by chemtune (prompt tokens masked), so both trainers see identical examples.
Baseline: transformers' Trainer + PEFT with the same LoRA options, every batch padded to the max length,
no length grouping. chemtune: the real training worker (chemtune.train.worker.Trainer) on a run folder,
once with length-grouped batches and once padding-free.
Reported per trainer: real (non-padding) tokens per second during the training loop (loading excluded)
and peak memory (GPU: torch.cuda.max_memory_allocated; CPU: peak RSS of the process). Each trainer runs
in its own process. Target: chemtune ≥ 2× the baseline's real tokens/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def peak_memory_mb() -> dict:
    import torch

    if torch.cuda.is_available():
        return {"peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)}
    return {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def build_llama_1b(target: Path) -> Path:
    """A ~1.1B-parameter Llama (TinyLlama's shape) with random weights and the tiny model's tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from chemtune import models

    tokenizer = AutoTokenizer.from_pretrained(str(models.build_tiny()))
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=2048, intermediate_size=5632,
                         num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4,
                         max_position_embeddings=4096,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target


def mixed_records(seed: int = 0) -> list[dict]:
    """Sample records, a share with answers 2–8 times longer: from ~150 to past 1000 tokens."""
    from chemtune import records

    rng = random.Random(seed)
    base = [r.to_dict() for r in records.load_dataset_records("sample")]
    rows = []
    for i in range(3 * len(base)):
        record = dict(rng.choice(base))
        repeat = rng.choices([1, 2, 3, 5, 8], weights=[50, 20, 15, 10, 5])[0]
        record["output"] = "\n\n".join([record["output"]] * repeat)
        record.update(id=f"mixed-{i}", meta=None)
        rows.append({k: v for k, v in record.items() if v is not None})
    return rows


def options(args: argparse.Namespace) -> dict:
    return {"model": args.model_path, "data": ["mixed"], "max_length": args.max_length, "val_split": 0.0,
            "max_steps": args.steps, "batch_size": args.batch_size, "grad_accum": 1, "lora_rank": 16,
            "lora_alpha": 32, "learning_rate": 2e-4, "save_steps": 10**6, "eval_steps": 0, "seed": 0}


def run_chemtune(args: argparse.Namespace, batching: str) -> dict:
    from chemtune import jobs, workspace
    from chemtune.train import worker
    from chemtune.train.config import make_config, to_yaml_dict

    path = workspace.folder("runs", f"bench-{batching}-{os.getpid()}", create=True)
    config = to_yaml_dict(make_config({**options(args), "batching": batching}))
    workspace.write_yaml(path / "config.yaml", {"kind": "train", **config})
    run = jobs.RunFolder(path)
    result = worker.Trainer(run).train()
    steps = [e for e in run.read_events(0)[0] if e.get("type") == "train"]
    return {"trainer": f"chemtune ({batching})", "steps": result["steps"],
            "real_tokens": sum(e["tokens"] for e in steps), "tokens_per_second": result["tokens_per_second"],
            "loop_seconds": round(sum(e["tokens"] for e in steps) / result["tokens_per_second"], 2),
            **peak_memory_mb()}


def run_baseline(args: argparse.Namespace) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from chemtune import models
    from chemtune.train import data
    from chemtune.train.config import make_config

    config = make_config(options(args))
    model, tokenizer = models.load_model(config.model)
    prepared = data.prepare(config, tokenizer)
    model.config.use_cache = False
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                      task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    real = {"tokens": 0}

    def pad_to_max(examples: list[dict]) -> dict:
        width = args.max_length
        ids = torch.full((len(examples), width), tokenizer.pad_token_id, dtype=torch.long)
        labels = torch.full((len(examples), width), -100, dtype=torch.long)
        mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, example in enumerate(examples):
            n = len(example["input_ids"])
            ids[row, :n], labels[row, :n], mask[row, :n] = (torch.tensor(example["input_ids"]),
                                                            torch.tensor(example["labels"]), 1)
        real["tokens"] += int(mask.sum())
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    clock = {}

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            clock.setdefault("start", time.perf_counter())

        def on_train_end(self, args, state, control, **kwargs):
            clock["end"] = time.perf_counter()

    with tempfile.TemporaryDirectory() as out:
        training = TrainingArguments(
            output_dir=out, per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=1,
            max_steps=args.steps, learning_rate=2e-4, logging_steps=10**6, save_strategy="no", report_to=[],
            remove_unused_columns=False, dataloader_num_workers=0, seed=0, disable_tqdm=True,
            bf16=torch.cuda.is_available())
        trainer = Trainer(model=model, args=training, train_dataset=prepared.train, data_collator=pad_to_max,
                          callbacks=[Clock()])
        trainer.train()
    seconds = clock["end"] - clock["start"]
    return {"trainer": "baseline (HF Trainer, pad to max)", "steps": args.steps,
            "real_tokens": real["tokens"],
            "tokens_per_second": round(real["tokens"] / seconds, 1), "loop_seconds": round(seconds, 2),
            **peak_memory_mb()}


def child(args: argparse.Namespace) -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    result = run_baseline(args) if args.child == "baseline" else run_chemtune(args, args.child)
    print("RESULT " + json.dumps(result), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny", help="'tiny', 'llama-1b' (from a config) or a folder")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every trainer this many times, alternating, and keep each one's median")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model-path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0

    from chemtune import models, records

    home = Path(tempfile.mkdtemp(prefix="chemtune-bench-"))
    os.environ["CHEMTUNE_HOME"] = str(home)
    if args.model == "tiny":
        model_path = models.build_tiny()
    elif args.model == "llama-1b":
        model_path = build_llama_1b(home / "models" / "llama-1b")
    else:
        model_path = Path(args.model)
    records.save_dataset("mixed", mixed_records())
    from chemtune.train import data
    from chemtune.train.config import make_config

    tokenizer = models.load_tokenizer(str(model_path))
    args.model_path = str(model_path)
    prepared = data.prepare(make_config(options(args)), tokenizer)
    lengths = sorted(len(e["input_ids"]) for e in prepared.train)
    print(f"model {args.model} ({model_path}); {len(lengths)} examples, tokens min {lengths[0]}, "
          f"median {lengths[len(lengths) // 2]}, max {lengths[-1]} (max length {args.max_length}, "
          f"{prepared.stats['truncated']} truncated); {args.steps} steps of batch {args.batch_size}")

    runs: dict[str, list[dict]] = {}
    # Alternating the trainers spreads a busy machine's slow moments over all of them alike.
    for which in ("baseline", "group_by_length", "padding_free") * args.repeat:
        argv = [sys.executable, __file__, "--child", which, "--model-path", str(model_path),
                "--steps", str(args.steps), "--batch-size", str(args.batch_size),
                "--max-length", str(args.max_length)]
        done = subprocess.run(argv, env={**os.environ}, capture_output=True, text=True, cwd=REPO)
        line = next((out for out in done.stdout.splitlines() if out.startswith("RESULT ")), None)
        if line is None:
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{which} failed")
        runs.setdefault(which, []).append(json.loads(line[7:]))
    results = [sorted(rows, key=lambda r: r["tokens_per_second"])[len(rows) // 2] for rows in runs.values()]

    base = results[0]["tokens_per_second"]
    memory_key = "peak_gpu_mb" if "peak_gpu_mb" in results[0] else "peak_rss_mb"
    print(f"\n{'trainer':38} {'real tokens':>11} {'loop s':>8} {'real tok/s':>11} {'× baseline':>10} "
          f"{memory_key:>12}")
    for row in results:
        print(f"{row['trainer']:38} {row['real_tokens']:>11,} {row['loop_seconds']:>8.1f} "
              f"{row['tokens_per_second']:>11,.0f} {row['tokens_per_second'] / base:>9.2f}× "
              f"{row[memory_key]:>12,.0f}")
    best = max(results[1:], key=lambda r: r["tokens_per_second"])
    print(f"\nchemtune best: {best['trainer']}, {best['tokens_per_second'] / base:.2f}× the baseline's real "
          f"tokens/s (target ≥ 2×)")
    print(json.dumps({"model": args.model, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
