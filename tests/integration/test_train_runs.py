"""Real LoRA runs on the tiny model as jobs: CLI run, abort, kill -9 and resume, two processes (DDP, FSDP)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chemtune import hardware, jobs, models, records
from chemtune.train import checkpoint, job
from chemtune.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[2]
FAST = {"max_length": 256, "batch_size": 2, "grad_accum": 1, "learning_rate": 1e-2, "val_split": 0.1,
        "eval_steps": 10}


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(models.build_tiny(tmp_path_factory.mktemp("models") / "tiny"))


@pytest.fixture
def dataset() -> str:
    """The bundled sample set when it is there, else a small chemistry set of our own."""
    if records.SAMPLE_PATH.is_file():
        return "sample"
    rows = [{"instruction": f"What is the molar mass of compound C{i}H{2 * i + 2}?",
             "output": f"C{i}H{2 * i + 2} has a molar mass of {14 * i + 2} g/mol."} for i in range(1, 31)]
    korean = [("황산", "H2SO4"), ("염산", "HCl"), ("암모니아", "NH3"), ("메탄", "CH4")]
    rows += [{"instruction": f"{name}의 화학식은?", "output": f"{name}의 화학식은 {formula}입니다."}
             for name, formula in korean]
    records.save_dataset("chem", rows)
    return "chem"


def wait_for(predicate, timeout: float = 120.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def train_events(run: jobs.RunFolder) -> list[dict]:
    return [e for e in run.read_events(0)[0] if e.get("type") == "train"]


def test_cli_run_lowers_the_loss_and_saves_an_adapter_plain_peft_loads(
        tiny_path: str, dataset: str, isolated_workspace: Path) -> None:
    env = {**os.environ, "CHEMTUNE_HOME": str(isolated_workspace)}
    # A tenth of the data five times over: the same examples each epoch, so epoch means compare fairly.
    argv = [sys.executable, "-m", "chemtune", "train", "--model", tiny_path, "--data", f"{dataset}:0.1",
            "--epochs", "5", "--max-length", "384", "--batch-size", "4", "--grad-accum", "1",
            "--learning-rate", "1e-2", "--warmup-ratio", "0", "--val-split", "0.1", "--eval-steps", "10",
            "--save-steps", "10", "--json"]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"run_id", "run_dir", "status", "adapter_dir", "steps", "final_loss", "train_tokens",
            "tokens_per_second"} <= set(result)
    steps = result["steps"]
    assert result["status"] == "done" and steps >= 10 and steps % 5 == 0
    assert result["train_tokens"] > 0 and result["tokens_per_second"] > 0
    assert "estimate:" in done.stderr and f"step {steps}/{steps}" in done.stderr
    assert result["estimate"]["steps"] == steps

    run = jobs.run_folder(result["run_id"])
    rows = train_events(run)
    assert [r["step"] for r in rows] == list(range(1, steps + 1))
    for key in ("loss", "learning_rate", "grad_norm", "epoch", "tokens_per_second", "eta_s"):
        assert all(key in r for r in rows), key
    assert rows[-1]["epoch"] == 5.0
    assert [r["step"] for r in rows if "eval_loss" in r][-1] == steps
    per_epoch = steps // 5
    first = sum(r["loss"] for r in rows[:per_epoch]) / per_epoch
    last = sum(r["loss"] for r in rows[-per_epoch:]) / per_epoch
    assert last < first - 0.15, (first, last)

    adapter = Path(result["adapter_dir"])
    files = {p.name for p in adapter.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "README.md"} <= files
    readme = (adapter / "README.md").read_text()
    assert tiny_path in readme and dataset in readme and "final training loss" in readme
    assert json.loads((adapter / "adapter_config.json").read_text())["lora_dropout"] == 0.0

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_path)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        before = base(ids).logits
        tuned = PeftModel.from_pretrained(base, str(adapter))
        after = tuned(ids).logits
    assert not torch.allclose(before, after)

    listed = subprocess.run([sys.executable, "-m", "chemtune", "runs", "--kind", "train", "--json"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60)
    runs = json.loads(listed.stdout.strip().splitlines()[-1])["runs"]
    assert [(r["run_id"], r["status"]) for r in runs] == [(result["run_id"], "done")]


def test_abort_stops_at_the_next_step_and_saves_the_adapter(tiny_path: str, dataset: str) -> None:
    run = job.start({"model": tiny_path, "data": [dataset], "max_steps": 500, **FAST})
    wait_for(lambda: train_events(run), what="the first training step")
    jobs.abort(run.run_id)
    status = jobs.wait(run, timeout=120)
    assert status["status"] == "aborted"
    assert 1 <= status["result"]["steps"] < 500
    assert (run.path / "adapter" / "adapter_model.safetensors").exists()
    assert checkpoint.latest_checkpoint(run.path) is not None  # so Resume can continue it


def test_kill_9_leaves_interrupted_and_resume_continues_the_step_count(tiny_path: str, dataset: str) -> None:
    run = job.start({"model": tiny_path, "data": [dataset], "max_steps": 400, "save_steps": 2, **FAST})
    wait_for(lambda: checkpoint.latest_checkpoint(run.path) and len(train_events(run)) >= 3,
             what="a checkpoint")
    os.kill(run.status()["pid"], signal.SIGKILL)  # the job process only; its training child is orphaned
    assert wait_for(lambda: run.status()["status"] == "interrupted", 30, "interrupted")
    # noticing the death also ends the orphaned training processes: no more steps are logged
    time.sleep(2.0)
    steps_then = len(train_events(run))
    time.sleep(2.0)
    assert len(train_events(run)) == steps_then
    saved = int(checkpoint.latest_checkpoint(run.path).name.split("-")[1])

    job.resume(run.run_id, {"max_steps": saved + 4})
    status = jobs.wait(run, timeout=180)
    assert status["status"] == "done", status.get("error")
    events = run.read_events(0)[0]
    resumed_at = next(i for i, e in enumerate(events) if e["type"] == "resume")
    assert events[resumed_at]["step"] == saved
    after = [e["step"] for e in events[resumed_at:] if e["type"] == "train"]
    assert after == list(range(saved + 1, saved + 5))
    assert status["result"]["steps"] == saved + 4


def assert_two_processes(run: jobs.RunFolder, steps: list[int]) -> None:
    """A run launched through accelerate as two processes, rank 0 alone writing the events."""
    log = run.log_tail(20000)
    assert "accelerate.commands.launch --num_processes 2" in log and "2 process(es)" in log
    assert [e["step"] for e in train_events(run)] == steps
    start = next(e for e in run.read_events(0)[0] if e["type"] == "start")
    assert start["processes"] == 2
    assert start["cpu_threads"] == hardware.cpu_threads(2)  # the cores shared between the two


# Plain FSDP is compared step for step with DDP below; here FSDP with bf16 compute and fp32 reductions.
@pytest.mark.parametrize(("mode", "extra"), [
    ("ddp", {}), ("fsdp", {"precision": "bf16", "gradient_checkpointing": True}),
])
def test_two_processes_evaluate_when_one_holds_no_validation_example(tiny_path: str, mode: str,
                                                                     extra: dict) -> None:
    rows = [records.Record(task="qa", instruction=f"What is the charge of the ion number {i}?",
                           output=f"Ion {i} carries a charge of {i % 3 + 1}+.") for i in range(10)]
    records.save_dataset("ten", rows)
    config = {**FAST, "val_split": 0.1, "eval_steps": 1, **extra}  # one validation example, two processes
    run = job.start({"model": tiny_path, "data": ["ten"], "max_steps": 2, "num_processes": 2,
                     "distributed": mode, **config})
    status = jobs.wait(run, timeout=240)
    assert status["status"] == "done", run.log_tail()
    assert [e.get("eval_loss") is not None for e in train_events(run)] == [True, True]
    assert_two_processes(run, [1, 2])


# Same data, same order, constant learning rate: runs that should compute the same thing step for step.
EXACT = {**FAST, "max_steps": 4, "scheduler": "constant", "warmup_ratio": 0.0, "eval_steps": 2}


def finished(values: dict, resume_to: int | None = None) -> jobs.RunFolder:
    run = job.start(values)
    status = jobs.wait(run, timeout=300)
    assert status["status"] == "done", run.log_tail()
    if resume_to:
        job.resume(run.run_id, {"max_steps": resume_to})
        status = jobs.wait(run, timeout=300)
        assert status["status"] == "done" and status["result"]["steps"] == resume_to, run.log_tail()
    return run


def curve(run: jobs.RunFolder, steps: range | None = None) -> list[tuple]:
    rows = [e for e in train_events(run) if steps is None or e["step"] in steps]
    return [(e["step"], e["loss"], e["grad_norm"], e.get("eval_loss", -1.0)) for e in rows]  # -1: none


def assert_same_curves(got: list[tuple], expected: list[tuple]) -> None:
    assert [row[0] for row in got] == [row[0] for row in expected]
    for a, b in zip(got, expected, strict=True):
        assert a[1:] == pytest.approx(b[1:], rel=1e-4), (a, b)


def adapter_weights(run: jobs.RunFolder) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run.path / "adapter" / "adapter_model.safetensors"))


def assert_same_adapters(a: dict, b: dict, atol: float) -> None:
    import torch

    assert a.keys() == b.keys() and len(a) > 0
    for name in a:
        assert torch.allclose(a[name], b[name], atol=atol), name


def test_resume_continues_exactly_where_the_checkpoint_left_off(tiny_path: str, dataset: str) -> None:
    """Weights, optimizer moments and scheduler come back: 2 steps + resume to 4 equals 4 steps straight."""
    values = {"model": tiny_path, "data": [dataset], **EXACT}
    straight = finished(values)
    resumed = finished({**values, "max_steps": 2}, resume_to=4)
    assert "resume: continuing from step-0000002 (step 2 of 4)" in resumed.log_tail(20000)
    assert_same_curves(curve(resumed, range(3, 5)), curve(straight, range(3, 5)))
    assert_same_adapters(adapter_weights(resumed), adapter_weights(straight), atol=1e-6)


@pytest.mark.long
def test_fsdp_trains_as_ddp_does_and_resumes_exactly(tiny_path: str, dataset: str) -> None:
    """Two CPU processes over gloo: sharded (FSDP) and replicated (DDP) training give the same losses,
    gradient norms, eval losses and adapter; an FSDP checkpoint (gathered from the shards) resumes exactly."""
    values = {"model": tiny_path, "data": [dataset], "num_processes": 2, **EXACT}
    ddp = finished({**values, "distributed": "ddp"})
    assert_two_processes(ddp, [1, 2, 3, 4])
    fsdp = finished({**values, "distributed": "fsdp"})
    log = fsdp.log_tail(20000)
    assert "2 process(es) (FSDP)" in log and "FSDP: 4 LlamaDecoderLayer units sharded over 2 processes" in log
    start = next(e for e in fsdp.read_events(0)[0] if e["type"] == "start")
    assert start["distributed"] == "fsdp"
    assert_same_curves(curve(fsdp), curve(ddp))
    assert_same_adapters(adapter_weights(fsdp), adapter_weights(ddp), atol=1e-5)

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_path), str(fsdp.path / "adapter"))

    resumed = finished({**values, "distributed": "fsdp", "max_steps": 2}, resume_to=4)
    assert_same_curves(curve(resumed, range(3, 5)), curve(fsdp, range(3, 5)))
    assert_same_adapters(adapter_weights(resumed), adapter_weights(fsdp), atol=1e-6)

    # The checkpoint holds full tensors keyed by name: it resumes on one process too.
    job.resume(resumed.run_id, {"max_steps": 6, "num_processes": 1})
    status = jobs.wait(resumed, timeout=300)
    assert status["status"] == "done" and status["result"]["steps"] == 6, resumed.log_tail()
    assert "resume: continuing from step-0000004 (step 4 of 6)" in resumed.log_tail(20000)
    assert [e["step"] for e in train_events(resumed)][-2:] == [5, 6]


def learning_rates(run: jobs.RunFolder) -> dict[int, float]:
    """The rate each step trained at; a step trained again after a resume counts as its replay."""
    return {e["step"]: e["learning_rate"] for e in train_events(run)}


def stopped_and_resumed(values: dict, stop: str) -> tuple[jobs.RunFolder, int]:
    """Start a run, stop it after its second step (abort, or kill -9 of all its processes), resume it with
    the same options; return the run and the step it resumed from."""
    run = job.start({**values, "save_steps": 2})
    if stop == "abort":
        # Asked while step 2 trains, the abort is seen before step 3 starts.
        wait_for(lambda: train_events(run), what="the first training step")
        jobs.abort(run.run_id)
        status = jobs.wait(run, timeout=300)
        assert status["status"] == "aborted", run.log_tail()
    else:
        wait_for(lambda: checkpoint.latest_checkpoint(run.path), 300, "the step-2 checkpoint")
        os.killpg(run.status()["pid"], signal.SIGKILL)  # the job, the launcher and the training process
        assert wait_for(lambda: run.status()["status"] == "interrupted", 30, "interrupted")
    saved = int(checkpoint.latest_checkpoint(run.path).name.split("-")[1])
    assert 1 <= saved < values["max_steps"], "the run finished before it could be stopped"
    job.resume(run.run_id)
    status = jobs.wait(run, timeout=300)
    assert status["status"] == "done" and status["result"]["steps"] == values["max_steps"], run.log_tail()
    return run, saved


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.parametrize(("scheduler", "stops"), [("cosine", ("abort", "kill")), ("linear", ("kill",))])
def test_a_run_stopped_midway_resumes_with_the_schedule_it_would_have_had(
        tiny_path: str, dataset: str, scheduler: str, stops: tuple[str, ...]) -> None:
    """With warmup and a decaying schedule, aborted or killed after step 2 of 4 and resumed: the same
    learning rate at every step, the same losses after the resume, the same adapter as 4 steps straight.
    (How a run stops does not depend on the schedule: the linear one is killed only.)"""
    values = {"model": tiny_path, "data": [dataset], **FAST, "grad_accum": 2, "max_steps": 4,
              "scheduler": scheduler, "eval_steps": 2}  # the default warmup share: one step of 4
    straight = finished(values)
    expected = learning_rates(straight)
    assert len(set(expected.values())) == 4 and expected[1] == 0.0  # warmup, then a real decay
    for stop in stops:
        resumed, saved = stopped_and_resumed(values, stop)
        assert learning_rates(resumed) == pytest.approx(expected, rel=1e-9), stop
        assert_same_curves(curve(resumed, range(saved + 1, 5)), curve(straight, range(saved + 1, 5)))
        assert_same_adapters(adapter_weights(resumed), adapter_weights(straight), atol=1e-6)


@pytest.mark.long
@pytest.mark.slow
def test_resuming_with_more_steps_plans_the_schedule_again_from_the_current_step(
        tiny_path: str, dataset: str) -> None:
    """A finished 4-step cosine run (its schedule ends at rate 0) resumed to 8 steps trains steps 5–8 at the
    rates an 8-step schedule has there, so its first resumed step is not trained at 0."""
    import torch
    from transformers import get_scheduler

    values = {"model": tiny_path, "data": [dataset], **FAST, "max_steps": 4}
    run = finished(values, resume_to=8)
    assert "resume: the cosine schedule is planned again for 8 steps (was 4)" in run.log_tail(20000)

    plan = get_scheduler("cosine", torch.optim.SGD([torch.zeros(1)], lr=values["learning_rate"]),
                         num_warmup_steps=math.ceil(8 * TrainConfig().warmup_ratio), num_training_steps=8)
    # step k trains at the rate the plan gives after k - 1 steps
    planned = {step: values["learning_rate"] * plan.lr_lambdas[0](step - 1) for step in range(1, 9)}
    rates = learning_rates(run)
    assert rates[5] > 0.0
    assert {step: rates[step] for step in range(5, 9)} == pytest.approx(
        {step: planned[step] for step in range(5, 9)}, rel=1e-9)
