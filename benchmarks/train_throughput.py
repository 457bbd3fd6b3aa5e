"""chemtune's LoRA trainer versus what a user would pick instead, on the same model, data and LoRA options.

    python benchmarks/train_throughput.py --model smollm2-135m-instruct --steps 8 --max-length 512 --repeat 2
    python benchmarks/train_throughput.py [--steps 30] [--batch-size 4] [--max-length 1024] [--model tiny]
    python benchmarks/train_throughput.py --model llama-1b     # on a GPU: a ~1B Llama built from a config

Data: instruction records of mixed lengths (the bundled sample set, some answers made several times longer),
rendered and tokenized once by chemtune (prompt tokens masked), so every trainer sees identical examples
and the same loss positions. LoRA r16, alpha 32, all-linear, no dropout, fp32 on a CPU (bf16 on a GPU),
no gradient checkpointing, batch 4, learning rate 2e-4, everywhere.
Trainers: chemtune's real training run (the accelerate launch command a train job runs) with length-grouped
batches and padding-free; transformers' Trainer + PEFT padding every batch to the max length, and with
`train_sampling_strategy="group_by_length"` (padding to the batch's longest); TRL's SFTTrainer (PEFT LoRA,
loss on completions only) with group_by_length, padding_free, and bfd packing (padding-free packed rows).
TRL is not a chemtune requirement; install it for this comparison with
    pip freeze | grep -iE '^(torch|transformers|tokenizers|peft|accelerate|datasets|huggingface.hub|'\
'safetensors)==' > /tmp/c.txt && pip install -c /tmp/c.txt trl==1.16.0
Reported per trainer: its threads, real (non-padding) tokens per second from the end of the first step to
the end of the last (loading and the first step's warm-up excluded), and peak memory (GPU:
max_memory_allocated; CPU: peak RSS of the training process, loading included). Each trainer runs in its own
process, in turn (--repeat alternates them and keeps each one's median).
Target: chemtune ≥ 1.3× TRL's best real tokens/s at no more peak memory.
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
    """The real training run: its config in a run folder, started by the same accelerate launch command
    a train job runs, so the launcher's thread settings are part of what is measured."""
    from chemtune import jobs, workspace
    from chemtune.train import job
    from chemtune.train.config import make_config, to_yaml_dict

    path = workspace.folder("runs", f"bench-{batching}-{os.getpid()}", create=True)
    config = to_yaml_dict(make_config({**options(args), "batching": batching}))
    workspace.write_yaml(path / "config.yaml", {"kind": "train", **config})
    run = jobs.RunFolder(path)
    done = subprocess.run(job.command(run, config), cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    events = run.read_events(0)[0]
    steps = [e for e in events if e.get("type") == "train"]
    start = next(e for e in events if e.get("type") == "start")
    marks = [(e["time"], e["tokens"]) for e in steps]
    # The training process is a grandchild: its peak RSS comes back through the launcher's children.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    memory = peak_memory_mb() if "peak_gpu_mb" in peak_memory_mb() else {"peak_rss_mb": round(peak, 1)}
    if steps and "gpu_memory_gb" in steps[-1]:
        memory = {"peak_gpu_mb": round(max(e["gpu_memory_gb"] for e in steps) * 1024, 1)}
    return {"trainer": f"chemtune ({batching})", "threads": start.get("cpu_threads"),
            **rate_after_first_step(marks), **memory}


def rate_after_first_step(marks: list[tuple[float, int]]) -> dict:
    """Real tokens/s from the end of the first step to the end of the last (the first pays for warm-up).

    `marks`: per optimizer step, its end time and the real (non-padding) tokens it trained on."""
    tokens = sum(n for _, n in marks[1:])
    seconds = marks[-1][0] - marks[0][0]
    return {"steps": len(marks), "real_tokens": tokens, "loop_seconds": round(seconds, 2),
            "tokens_per_second": round(tokens / seconds, 1)}


HF_TRAINERS = {
    "hf-pad-max": "HF Trainer, pad to max length",
    "hf-group-by-length": "HF Trainer, group_by_length",
    "trl-group-by-length": "TRL SFTTrainer, group_by_length",
    "trl-padding-free": "TRL SFTTrainer, padding_free",
    "trl-packing": "TRL SFTTrainer, packing (bfd)",
}


def run_hf(args: argparse.Namespace, which: str) -> dict:
    """transformers' Trainer or TRL's SFTTrainer with PEFT LoRA on chemtune's own tokenized examples (the
    same tokens, the prompt masked from the loss), each with the batching a user would pick."""
    import datasets
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, Trainer, TrainerCallback, TrainingArguments

    from chemtune import models
    from chemtune.train import data
    from chemtune.train.config import make_config

    config = make_config(options(args))
    tokenizer = models.load_tokenizer(config.model)
    prepared = data.prepare(config, tokenizer)
    train = datasets.Dataset.from_list([{"input_ids": e["input_ids"], "labels": e["labels"]}
                                        for e in prepared.train])
    model = AutoModelForCausalLM.from_pretrained(config.model, dtype=torch.float32)
    model.config.use_cache = False
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                      task_type="CAUSAL_LM")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    marks: list[tuple[float, int]] = []
    seen = {"tokens": 0}

    class Marks(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            marks.append((time.perf_counter(), seen.pop("step", 0)))

    def counted(cls):
        class Counting(cls):
            def training_step(self, model, inputs, *rest, **kw):
                mask = inputs.get("attention_mask")
                real = int(mask.sum()) if mask is not None else int(inputs["input_ids"].numel())
                seen["step"] = seen.get("step", 0) + real  # padding-free rows hold no padding
                return super().training_step(model, inputs, *rest, **kw)
        return Counting

    def pad_batch(examples: list[dict]) -> dict:
        width = args.max_length if which == "hf-pad-max" else max(len(e["input_ids"]) for e in examples)
        ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
        labels = torch.full((len(examples), width), -100, dtype=torch.long)
        mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, example in enumerate(examples):
            n = len(example["input_ids"])
            ids[row, :n], labels[row, :n], mask[row, :n] = (torch.tensor(example["input_ids"]),
                                                            torch.tensor(example["labels"]), 1)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    common = dict(per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=1,
                  max_steps=args.steps, learning_rate=2e-4, logging_steps=10**6, save_strategy="no",
                  report_to=[], dataloader_num_workers=0, seed=0, disable_tqdm=True,
                  bf16=torch.cuda.is_available(), fp16=False, gradient_checkpointing=False)
    if which.startswith("hf-"):
        sampling = "group_by_length" if which == "hf-group-by-length" else "random"
        with tempfile.TemporaryDirectory() as out:
            training = TrainingArguments(output_dir=out, remove_unused_columns=False,
                                         train_sampling_strategy=sampling, **common)
            trainer = counted(Trainer)(model=get_peft_model(model, lora), args=training, train_dataset=train,
                                       data_collator=pad_batch, callbacks=[Marks()])
            trainer.train()
    else:
        from trl import SFTConfig, SFTTrainer

        batching = {"trl-group-by-length": {"train_sampling_strategy": "group_by_length"},
                    "trl-padding-free": {"padding_free": True},
                    "trl-packing": {"packing": True, "packing_strategy": "bfd"}}[which]
        with tempfile.TemporaryDirectory() as out:
            # The examples come truncated to the max length; TRL refuses to pretend it enforces it when
            # padding-free without packing, so it is told there is none.
            limit = None if which == "trl-padding-free" else args.max_length
            training = SFTConfig(output_dir=out, max_length=limit, completion_only_loss=True,
                                 **batching, **common)
            trainer = counted(SFTTrainer)(model=model, args=training, train_dataset=train,
                                          processing_class=tokenizer, peft_config=lora, callbacks=[Marks()])
            trainer.train()
    return {"trainer": HF_TRAINERS[which], "threads": torch.get_num_threads(), **rate_after_first_step(marks),
            **peak_memory_mb()}


def child(args: argparse.Namespace) -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    result = run_hf(args, args.child) if args.child in HF_TRAINERS else run_chemtune(args, args.child)
    print("RESULT " + json.dumps(result), flush=True)


# TRL is only for this comparison (not a chemtune requirement); installed so it cannot move the pinned stack.
INSTALL_TRL = ("pip freeze | grep -iE '^(torch|transformers|tokenizers|peft|accelerate|datasets|"
               "huggingface.hub|safetensors)==' > /tmp/c.txt && pip install -c /tmp/c.txt trl==1.16.0")
TRAINERS = ("group_by_length", "padding_free", *HF_TRAINERS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny",
                        help="'tiny', 'llama-1b' (from a config), a preset (smollm2-135m-instruct) or "
                             "a folder")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every trainer this many times, alternating, and keep each one's median")
    parser.add_argument("--trainers", default=",".join(TRAINERS),
                        help=f"comma list of: {', '.join(TRAINERS)}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model-path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    trainers = [t.strip() for t in args.trainers.split(",") if t.strip()]
    unknown = sorted(set(trainers) - set(TRAINERS))
    if unknown:
        raise SystemExit(f"unknown trainers: {', '.join(unknown)}")
    if any(t.startswith("trl-") for t in trainers):
        try:
            import trl  # noqa: F401
        except ImportError:
            raise SystemExit(f"TRL is not installed; {INSTALL_TRL}") from None

    from chemtune import models, records

    if args.model not in ("tiny", "llama-1b") and not Path(args.model).exists():
        model_path = Path(models.resolve(args.model)[0])  # a preset: built once in the user's workspace
    else:
        model_path = None
    home = Path(tempfile.mkdtemp(prefix="chemtune-bench-"))
    os.environ["CHEMTUNE_HOME"] = str(home)
    if args.model == "tiny":
        model_path = models.build_tiny()
    elif args.model == "llama-1b":
        model_path = build_llama_1b(home / "models" / "llama-1b")
    elif model_path is None:
        model_path = Path(args.model)
    records.save_dataset("mixed", mixed_records())
    from chemtune import hardware
    from chemtune.train import data
    from chemtune.train.config import make_config

    tokenizer = models.load_tokenizer(str(model_path))
    args.model_path = str(model_path)
    prepared = data.prepare(make_config(options(args)), tokenizer)
    lengths = sorted(len(e["input_ids"]) for e in prepared.train)
    print(f"model {args.model} ({model_path}); {len(lengths)} examples, tokens min {lengths[0]}, "
          f"median {lengths[len(lengths) // 2]}, max {lengths[-1]} (max length {args.max_length}, "
          f"{prepared.stats['truncated']} truncated); {args.steps} steps of batch {args.batch_size}; "
          f"{hardware.describe_device()['text']}", flush=True)

    runs: dict[str, list[dict]] = {}
    # Alternating the trainers spreads a busy machine's slow moments over all of them alike.
    for which in trainers * args.repeat:
        argv = [sys.executable, __file__, "--child", which, "--model-path", str(model_path),
                "--steps", str(args.steps), "--batch-size", str(args.batch_size),
                "--max-length", str(args.max_length)]
        done = subprocess.run(argv, env={**os.environ}, capture_output=True, text=True, cwd=REPO)
        line = next((out for out in done.stdout.splitlines() if out.startswith("RESULT ")), None)
        if line is None:
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{which} failed")
        runs.setdefault(which, []).append(json.loads(line[7:]))
        print(f"  {which}: {runs[which][-1]['tokens_per_second']:,.0f} real tokens/s", flush=True)
    results = {which: sorted(rows, key=lambda r: r["tokens_per_second"])[len(rows) // 2]
               for which, rows in runs.items()}

    memory_key = "peak_gpu_mb" if any("peak_gpu_mb" in r for r in results.values()) else "peak_rss_mb"
    print(f"\n{'trainer':36} {'threads':>7} {'real tokens':>11} {'loop s':>8} {'real tok/s':>11} "
          f"{memory_key:>12}")
    for row in results.values():
        print(f"{row['trainer']:36} {row['threads']!s:>7} {row['real_tokens']:>11,} "
              f"{row['loop_seconds']:>8.1f} {row['tokens_per_second']:>11,.0f} "
              f"{row.get(memory_key, 0):>12,.0f}")
    ours = [results[t] for t in ("group_by_length", "padding_free") if t in results]
    theirs = [results[t] for t in results if t.startswith("trl-")] or \
        [results[t] for t in results if t.startswith("hf-")]
    if ours and theirs:
        best, rival = (max(rows, key=lambda r: r["tokens_per_second"]) for rows in (ours, theirs))
        ratio = best["tokens_per_second"] / rival["tokens_per_second"]
        memory = "no more" if best.get(memory_key, 0) <= rival.get(memory_key, 0) else "more"
        print(f"\nchemtune best: {best['trainer']}, {ratio:.2f}× {rival['trainer']}'s real tokens/s "
              f"(target ≥ 1.3×), at {memory} peak memory ({best.get(memory_key)} vs "
              f"{rival.get(memory_key)} MB)")
    print(json.dumps({"model": args.model, "results": list(results.values())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
