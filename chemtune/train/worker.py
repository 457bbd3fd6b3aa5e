"""The training process: `accelerate launch -m chemtune.train.worker RUN_DIR`, one process per GPU.

It reads the run's config.yaml, trains a LoRA adapter with a compact accelerate loop (loss on response
tokens only, batches grouped by length or padding-free), and talks to the outside only through the run
folder: events.jsonl rows and status.json from rank 0, checkpoints for resume, an abort request file.
"""

from __future__ import annotations

import math
import sys
import time
import traceback
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from chemtune import hardware, jobs, workspace
from chemtune.errors import ChemtuneError
from chemtune.train import checkpoint, data
from chemtune.train.config import TrainConfig, make_config
from chemtune.train.model import (
    add_lora,
    is_first_process,
    load_base,
    response_loss,
    say,
    shard,
    supports_logits_mask,
)

MAX_GRAD_NORM = 1.0  # gradient clipping, as in the paper's and most LoRA recipes


def resolve_precision(precision: str) -> str:
    """The precision a run trains in (hardware.resolve_precision's rule); fp16 needs a CUDA GPU."""
    import torch

    if precision == "fp16" and not torch.cuda.is_available():
        raise ChemtuneError("Precision fp16 needs a CUDA GPU; use 'auto' or 'fp32' on the CPU.",
                            ko="fp16 정밀도에는 CUDA GPU가 필요합니다. CPU에서는 '자동'이나 fp32를 쓰세요.")
    return hardware.resolve_precision(precision)


def check_hardware(config: TrainConfig) -> None:
    """Options this machine cannot honour, each as one clear message (also checked before a job starts)."""
    import importlib.util

    import torch

    if config.distributed == "fsdp" and config.num_processes > 1:
        if config.qlora:
            raise ChemtuneError("FSDP cannot shard a 4-bit QLoRA model; choose ddp as the multi-process "
                                "mode, or turn QLoRA off.",
                                ko="FSDP는 4비트 QLoRA 모델을 분산(shard)할 수 없습니다; 다중 프로세스 "
                                   "모드로 ddp를 고르거나 QLoRA를 끄세요.")
        precision = hardware.resolve_precision(config.precision)
        if precision == "fp16":
            raise ChemtuneError("FSDP trains in bf16 or fp32, and fp16 was chosen (or is what 'auto' gives "
                                "on this GPU); choose fp32, or ddp as the multi-process mode.",
                                ko="FSDP는 bf16 또는 fp32로 학습하는데 fp16이 선택되었습니다(또는 이 GPU에서 "
                                   "'auto'가 fp16을 고릅니다); "
                                   "fp32를 고르거나 다중 프로세스 모드로 ddp를 고르세요.")
    if config.qlora:
        if not torch.cuda.is_available():
            raise ChemtuneError("4-bit QLoRA needs a CUDA GPU (bitsandbytes runs only there) and this "
                                "machine has none; turn QLoRA off to train in full precision on the CPU.",
                                ko="4비트 QLoRA에는 CUDA GPU가 필요한데(bitsandbytes는 GPU에서만 동작) 이 "
                                   "컴퓨터에는 없습니다; CPU에서 전체 정밀도로 학습하려면 QLoRA를 끄세요.")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ChemtuneError("4-bit QLoRA needs the bitsandbytes package: pip install bitsandbytes",
                                ko="4비트 QLoRA에는 bitsandbytes 패키지가 필요합니다: pip install "
                                   "bitsandbytes")
    if config.report_to != "none" and importlib.util.find_spec(config.report_to) is None:
        raise ChemtuneError(f"Reporting to {config.report_to} needs its package: "
                            f"pip install {config.report_to}",
                            ko=f"{config.report_to}(으)로 보고하려면 그 패키지가 필요합니다: "
                               f"pip install {config.report_to}")
    if torch.cuda.is_available() and config.num_processes > torch.cuda.device_count():
        raise ChemtuneError(f"{config.num_processes} processes were asked for but only "
                            f"{torch.cuda.device_count()} GPUs are visible.",
                            ko=f"프로세스 {config.num_processes}개를 요청했지만 보이는 GPU는 "
                               f"{torch.cuda.device_count()}개뿐입니다.")
    resolve_precision(config.precision)


class Trainer:
    """One training session of a run (a resume is a new session that continues the step count)."""

    def __init__(self, run: jobs.RunFolder) -> None:
        import torch
        from accelerate import Accelerator
        from accelerate.utils import set_seed

        from chemtune import models

        self.run = run
        raw = run.config()
        self.raw = {k: v for k, v in raw.items() if k not in ("kind", "resume")}
        self.resume = bool(raw.get("resume"))
        self.config = config = make_config(self.raw, where=str(run.config_file))
        check_hardware(config)
        self.precision = resolve_precision(config.precision)
        mixed = {"bf16": "bf16", "fp16": "fp16", "fp32": "no"}[self.precision]
        trackers = {} if config.report_to == "none" else {"log_with": config.report_to,
                                                          "project_dir": str(run.path / "logs")}
        # cpu=True without CUDA: several CPU processes then talk over gloo instead of looking for GPUs.
        self.acc = Accelerator(mixed_precision=mixed, cpu=not torch.cuda.is_available(), **trackers)
        self.main = self.acc.is_main_process
        set_seed(config.seed)

        tokenizer = models.load_tokenizer(config.model, trust_remote_code=config.trust_remote_code)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.data = data.prepare(config, tokenizer)
        note = data.describe_length_handling(self.data.stats)
        if note:
            say(f"note: {note}")
        self.base_source, _ = models.resolve(config.model)
        # FSDP: each process loads the base on the CPU and keeps only its shard on its device.
        self.fsdp = config.distributed == "fsdp" and self.acc.num_processes > 1
        load_on = "cpu" if self.fsdp else self.acc.device
        base = load_base(config, load_on, self.precision, self.acc.local_process_index)
        model = add_lora(base, config)
        if self.acc.device.type == "cpu":  # DDP and FSDP alike, so their runs compute the same products
            from chemtune import cpu_kernels

            choice = cpu_kernels.use_fastest(model)
            if choice:
                say(choice.describe())
        trainable = [p for p in model.parameters() if p.requires_grad]
        self.trainable_params = sum(p.numel() for p in trainable)
        self.all_params = sum(p.numel() for p in model.parameters())
        found = checkpoint.latest_checkpoint(run.path) if self.resume else None
        if found is not None:
            checkpoint.load_weights(found, model)
        if self.fsdp:
            model = shard(model, self.acc.device, self.precision)
        self.optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                           lr=config.learning_rate, weight_decay=config.weight_decay)

        self.lengths = [len(e["input_ids"]) for e in self.data.train]
        self.micro_per_epoch = len(self._epoch_batches(0))
        steps_per_epoch = self.micro_per_epoch / config.grad_accum
        self.total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
        from transformers import get_scheduler

        self.scheduler = get_scheduler(config.scheduler, self.optimizer,
                                       num_warmup_steps=math.ceil(self.total * config.warmup_ratio),
                                       num_training_steps=self.total)
        self.state = {"step": 0, "train_tokens": 0, "elapsed_s": 0.0, "loss": None, "eval_loss": None}
        if self.resume and found is None:
            say("resume: no checkpoint was saved yet, so training starts again from step 0")
        elif found is not None:
            self.state.update(checkpoint.load_training_state(found, model, self.optimizer))
            lr = checkpoint.schedule_at(self.scheduler, self.state["step"])
            say(f"resume: continuing from {found.name} (step {self.state['step']} of {self.total})")
            planned = self.state.get("total_steps")
            if planned and planned != self.total:
                say(f"resume: the {config.scheduler} schedule is planned again for {self.total} steps "
                    f"(was {planned}); step {self.state['step'] + 1} trains at learning rate {lr:.3g}")
        self.state["total_steps"] = self.total
        self.cpu_threads = torch.get_num_threads()
        self.logits_for_responses = supports_logits_mask(model)
        if self.fsdp:  # already sharded: accelerate would wrap it again in DDP
            self.model = model
        else:
            self.model, self.optimizer = self.acc.prepare(model, self.optimizer)
        self._batches: dict[int, list[list[int]]] = {}

    # -- data order

    def _epoch_batches(self, epoch: int) -> list[list[int]]:
        batches = data.length_grouped_batches(self.lengths, self.config.batch_size, self.config.seed + epoch)
        return data.shard_batches(batches, self.acc.process_index, self.acc.num_processes)

    def _micro_batch(self, index: int) -> list[dict]:
        epoch, position = divmod(index, self.micro_per_epoch)
        if epoch not in self._batches:
            self._batches = {epoch: self._epoch_batches(epoch)}
        return [self.data.train[i] for i in self._batches[epoch][position]]

    # -- reporting (rank 0 only)

    def event(self, **fields: Any) -> None:
        if self.main:
            workspace.append_jsonl(self.run.events_file, {"time": round(time.time(), 3), **fields})

    def _memory(self) -> dict:
        import torch

        if torch.cuda.is_available():
            return {"gpu_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2)}
        import psutil

        return {"ram_gb": round(psutil.Process().memory_info().rss / 2**30, 2),
                "cpu_threads": self.cpu_threads}

    # -- the loop

    def train(self) -> dict:
        config, acc = self.config, self.acc
        start_step = self.state["step"]
        stats = self.data.stats
        share = 100 * self.trainable_params / self.all_params
        say(f"training {self.trainable_params:,} LoRA parameters ({share:.2f}% of {self.all_params:,}) on "
            f"{stats['train_examples']} examples ({stats['train_tokens']:,} tokens), {self.total} steps, "
            f"{acc.num_processes} process(es){' (FSDP)' if self.fsdp else ''} on {acc.device}, "
            f"{self.precision}, {self.cpu_threads} CPU thread(s) per process")
        if self.resume:
            self.event(type="resume", step=start_step)
        self.event(type="start", step=start_step, total_steps=self.total, processes=acc.num_processes,
                   distributed="fsdp" if self.fsdp else "ddp" if acc.num_processes > 1 else None,
                   device=str(acc.device), precision=self.precision, cpu_threads=self.cpu_threads,
                   trainable_params=self.trainable_params,
                   **{k: v for k, v in stats.items() if k != "datasets"})
        if config.report_to != "none":
            acc.init_trackers(self.run.run_id, config=self.config.model_dump(mode="json"))
        session_start, session_tokens, last_status = time.monotonic(), 0, 0.0
        aborted, step = False, start_step
        while step < self.total:
            if self.main and self.run.abort_file.exists():
                acc.set_trigger()
            if acc.check_trigger():
                aborted = True
                break
            step += 1
            loss, grad_norm, lr, tokens = self._step(step)
            session_tokens += tokens
            self.state.update(step=step, loss=loss, train_tokens=self.state["train_tokens"] + tokens)
            elapsed = time.monotonic() - session_start
            rate = session_tokens / elapsed if elapsed > 0 else 0.0
            eta = (self.total - step) * elapsed / (step - start_step)
            epoch = step * config.grad_accum / self.micro_per_epoch
            row = {"step": step, "total_steps": self.total, "loss": round(loss, 5), "learning_rate": lr,
                   "grad_norm": round(grad_norm, 5), "epoch": round(epoch, 4), "tokens": tokens,
                   "tokens_per_second": round(rate, 1), "eta_s": round(eta, 1), **self._memory()}
            due = (config.eval_steps and step % config.eval_steps == 0) or step == self.total
            if self.data.val and due:
                row["eval_loss"] = self.state["eval_loss"] = round(self.evaluate(), 5)
            self.event(type="train", **row)
            if config.report_to != "none":
                acc.log({k: v for k, v in row.items() if isinstance(v, (int, float))}, step=step)
            if self.main and (time.monotonic() - last_status > 1.0 or step == self.total):
                self.run.update_status(progress={"done": step, "total": self.total, "eta_s": row["eta_s"]})
                last_status = time.monotonic()
            if step <= 3 or step % max(1, self.total // 20) == 0 or step == self.total:
                say(f"step {step}/{self.total}  loss {loss:.4f}" + (
                    f"  eval_loss {row['eval_loss']:.4f}" if "eval_loss" in row else "")
                    + f"  lr {lr:.2e}  {rate:,.0f} tok/s  eta {eta:,.0f} s")
            if step % config.save_steps == 0 and step < self.total:
                self.save_checkpoint()
        self.state["elapsed_s"] += time.monotonic() - session_start
        return self.finish(aborted, session_tokens / max(1e-9, time.monotonic() - session_start))

    def _step(self, step: int) -> tuple[float, float, float, int]:
        """One optimizer step over grad_accum micro-batches; returns loss, grad norm, lr, real tokens."""
        import torch

        config, acc = self.config, self.acc
        first = (step - 1) * config.grad_accum
        micro = [self._micro_batch(first + j) for j in range(config.grad_accum)]
        # The loss is summed over every response token of the step, on every process, and divided once,
        # so a long answer counts as much in a small batch as in a big one, whichever process holds it.
        items = sum(sum(1 for t in e["labels"][1:] if t != -100) for batch in micro for e in batch)
        n_items = acc.reduce(torch.tensor(items, device=acc.device), "sum").clamp(min=1)
        tokens = sum(len(e["input_ids"]) for batch in micro for e in batch)
        lr = self.optimizer.param_groups[0]["lr"]  # the rate this step trains at, as the optimizer has it
        self.model.train()
        total_loss = torch.zeros((), device=acc.device)
        for j, examples in enumerate(micro):
            collated = data.collate(examples, config.batching, self.pad_id)
            batch = {k: v.to(acc.device) for k, v in collated.items()}
            with self._gradient_sync(j == len(micro) - 1):
                loss = response_loss(self.model, batch, n_items, self.logits_for_responses)
                acc.backward(loss * acc.num_processes)  # DDP averages gradients; we want their sum
            total_loss += loss.detach()
        grad_norm = acc.clip_grad_norm_(self.model.parameters(), MAX_GRAD_NORM)
        if hasattr(grad_norm, "full_tensor"):  # FSDP: a norm over sharded gradients
            grad_norm = grad_norm.full_tensor()
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        mean_loss = acc.reduce(total_loss, "sum").item()
        all_tokens = int(acc.reduce(torch.tensor(tokens, device=acc.device), "sum").item())
        return mean_loss, float(grad_norm), lr, all_tokens

    def _gradient_sync(self, sync: bool) -> Any:
        """Reduce gradients across processes only on the last micro-batch of a step."""
        if self.fsdp:
            self.model.set_requires_gradient_sync(sync)
            return nullcontext()
        return nullcontext() if sync else self.acc.no_sync(self.model)

    def evaluate(self) -> float:
        """Mean loss per response token over the validation examples (all processes together)."""
        import torch

        acc = self.acc
        val = self.data.val[acc.process_index::acc.num_processes]
        order = sorted(range(len(val)), key=lambda i: len(val[i]["input_ids"]))
        loss_sum = torch.zeros((), device=acc.device)
        count = torch.zeros((), device=acc.device)
        size = self.config.batch_size
        batches = [[val[i] for i in order[start:start + size]] for start in range(0, len(order), size)]
        rounds = len(batches)
        if self.fsdp:
            # Every FSDP forward gathers each layer from all processes, so all run the same number of
            # forwards; one with fewer batches (or no validation example) repeats a throwaway one.
            rounds = int(acc.gather(torch.tensor([rounds], device=acc.device)).max())
            model = self.model
        else:
            # The unwrapped model: a DDP forward is a collective step, and a process may hold no
            # validation example at all; only the two reductions below must be joined by every process.
            model = acc.unwrap_model(self.model)
        self.model.eval()
        with torch.no_grad():
            for index in range(rounds):
                examples = batches[index] if index < len(batches) else self.data.val[:1]
                batch = {k: v.to(acc.device) for k, v in data.collate(examples, self.config.batching,
                                                                      self.pad_id).items()}
                one = torch.tensor(1, device=acc.device)
                loss = response_loss(model, batch, one, self.logits_for_responses).float()
                if index < len(batches):
                    loss_sum += loss
                    count += sum(sum(1 for t in e["labels"][1:] if t != -100) for e in examples)
        self.model.train()
        loss_sum, count = acc.reduce(loss_sum, "sum"), acc.reduce(count, "sum")
        return (loss_sum / count.clamp(min=1)).item()

    def _gathered(self) -> tuple[dict, dict]:
        """Full adapter weights and optimizer state (on the main process; all must call this)."""
        model = self.model if self.fsdp else self.acc.unwrap_model(self.model)
        optimizer = getattr(self.optimizer, "optimizer", self.optimizer)  # accelerate's wrapper, if any
        return checkpoint.gather_state(model, optimizer, sharded=self.fsdp)

    def save_checkpoint(self) -> dict:
        """Write a resumable checkpoint (all processes must call this); return the adapter weights."""
        weights, optimizer_state = self._gathered()
        if self.main:
            checkpoint.save_checkpoint(self.run.path, self.acc.unwrap_model(self.model), weights,
                                       optimizer_state, dict(self.state),
                                       self.config.save_total_limit)
        self.acc.wait_for_everyone()
        return weights

    def finish(self, aborted: bool, rate: float) -> dict:
        """Save a resumable checkpoint, the adapter and its README; export the merged model if asked."""
        stats = self.data.stats
        weights = self.save_checkpoint() if self.state["step"] > 0 else self._gathered()[0]
        summary = {
            "status": "aborted" if aborted else "done", "steps": self.state["step"],
            "total_steps": self.total,
            "final_loss": self.state["loss"], "eval_loss": self.state["eval_loss"],
            "train_tokens": self.state["train_tokens"], "tokens_per_second": round(rate, 1),
            "train_examples": stats["train_examples"], "val_examples": stats["val_examples"],
            "truncated": stats["truncated"], "dropped": stats["dropped"], "no_response": stats["no_response"],
            "cpu_threads": self.cpu_threads,
        }
        result = dict(summary)
        if self.main:
            readme = checkpoint.adapter_readme(self.config.model_dump(mode="json"), self.base_source, summary)
            adapter = checkpoint.save_adapter(self.run.path, self.acc.unwrap_model(self.model), weights,
                                              readme)
            result["adapter_dir"] = str(adapter)
            say(f"adapter saved to {adapter}")
        self.acc.wait_for_everyone()
        if self.config.report_to != "none":
            self.acc.end_training()
        if self.main and self.config.merge and not aborted:
            say("exporting the merged model …")
            merged = checkpoint.export_merged(self.run.path, self.config.model, Path(result["adapter_dir"]),
                                              self.config.precision, self.config.trust_remote_code)
            result["merged_dir"] = str(merged)
            say(f"merged model saved to {merged}")
        if self.main:
            self.event(type="end", **{k: v for k, v in result.items() if k != "status"}, aborted=aborted)
            self.run.update_status(result=result)
        return result


def train(run_dir: Path | str) -> dict:
    """Train the run in `run_dir` in this process (and its accelerate siblings)."""
    return Trainer(jobs.RunFolder(Path(run_dir))).train()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # bars for loading/saving shards only clutter log.txt
    # PEFT still asks transformers a deprecated question on every LoRA wrap; nothing a user can act on.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    if len(argv) != 1:
        print("usage: accelerate launch -m chemtune.train.worker RUN_DIR", file=sys.stderr)
        return 2
    run = jobs.RunFolder(Path(argv[0]))
    try:
        train(run.path)
        return 0
    except ChemtuneError as exc:
        message = str(exc)
    except Exception as exc:  # a crash is recorded with its traceback in log.txt
        traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}"
    if is_first_process():
        run.update_status(error=message)
        print(f"error: {message}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
