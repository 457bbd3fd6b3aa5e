"""The `train` job kind: checks before a run starts, and the `accelerate launch` command that runs it."""

from __future__ import annotations

import socket
import sys
from typing import Any

from chemtune import hardware, jobs
from chemtune.errors import ChemtuneError
from chemtune.train.config import TrainConfig, make_config, to_yaml_dict


def _free_port() -> int:
    # Several runs (or test sessions) on one machine must not share the rendezvous port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(run: jobs.RunFolder, config: dict) -> list[str]:
    """argv the job process runs: accelerate launch with one process per GPU (or CPU processes on gloo)."""
    processes = int(config.get("num_processes") or 1)
    # Always through the launcher, so one process and many (DDP) take the same path. Left to itself the
    # launcher sets OMP_NUM_THREADS=1 for its processes: each gets its share of the cores instead.
    argv = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--num_cpu_threads_per_process", str(hardware.cpu_threads(processes))]
    if processes > 1:
        # --multi_gpu runs torchrun; without CUDA accelerate falls back to CPU processes talking over gloo.
        # The worker then replicates the model (DDP) or shards it itself (FSDP), as `distributed` says.
        argv += ["--multi_gpu", "--main_process_port", str(_free_port())]
    return argv + ["-m", "chemtune.train.worker", str(run.path)]


def run(ctx: jobs.JobContext) -> dict:
    """Train inside the job process itself (one process), for callers that do not go through accelerate."""
    from chemtune.train import worker

    return worker.train(ctx.run_dir)


def preflight(config: TrainConfig) -> None:
    """Fail before starting on what can be known now: datasets, hardware options, the model's tokenizer."""
    from chemtune import models
    from chemtune.train import data, worker

    data.load_sources(config.data)
    worker.check_hardware(config)
    models.load_tokenizer(config.model, trust_remote_code=config.trust_remote_code)


def start(values: dict[str, Any], run_id: str | None = None, check: bool = True) -> jobs.RunFolder:
    """Validate options, check them against this machine, and start (or queue) a train job."""
    config = make_config(values)
    if check:
        preflight(config)
    return jobs.start_job("train", to_yaml_dict(config), run_id=run_id)


def resume(run_id: str, changes: dict[str, Any] | None = None) -> jobs.RunFolder:
    """Continue an interrupted, aborted or finished run from its last checkpoint, in the same folder."""
    run = jobs.run_folder(run_id)
    old = run.config()
    if old.get("kind") != "train":
        raise ChemtuneError(f"Run {run_id} is a {old.get('kind')!r} job, not a training run.",
                            ko=f"실행 {run_id}은(는) {old.get('kind')!r} 작업이며 학습 실행이 아닙니다.")
    values = {k: v for k, v in old.items() if k not in ("kind", "resume")}
    values.update({k: v for k, v in (changes or {}).items() if v is not None})
    config = make_config(values)
    status = run.status()
    if status.get("status") in jobs.ACTIVE:
        raise ChemtuneError(f"Run {run_id} is still {status['status']}; abort it first or wait for it.",
                            ko=f"실행 {run_id}은(는) 아직 {status['status']} 상태입니다; 먼저 중단하거나 "
                               "끝날 때까지 기다리세요.")
    return jobs.restart_job(run, **to_yaml_dict(config), resume=True)
