"""Jobs that compute on the CPU use its cores: a training process gets its share through accelerate's own
option (the launcher would give it one thread), an in-place job (eval) all of them, and a thread count the
user set in OMP_NUM_THREADS is kept. Each count is read from the process that computed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chemtune import hardware, jobs, models
from chemtune.train import job

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(models.build_tiny(tmp_path_factory.mktemp("models") / "tiny"))


def user_threads(monkeypatch: pytest.MonkeyPatch, chosen: str | None) -> int:
    """Set (or clear) the user's OMP_NUM_THREADS for the jobs started next; the count they should get."""
    if chosen is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        return hardware.cpu_threads()
    # Fewer than this machine would choose (torch caps a count above the cores), so only the user's can pass.
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    if hardware.cpu_threads() < 2:
        pytest.skip("one core: a chosen thread count cannot differ from the default")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return 1


@pytest.mark.slow
@pytest.mark.parametrize("chosen", [None, "user"])
def test_a_cpu_training_process_computes_on_its_share_of_the_cores(
        tiny_path: str, monkeypatch: pytest.MonkeyPatch, chosen: str | None) -> None:
    expected = user_threads(monkeypatch, chosen)
    run = job.start({"model": tiny_path, "data": ["sample"], "max_steps": 1, "max_length": 128,
                     "batch_size": 2, "grad_accum": 1, "val_split": 0.0})
    status = jobs.wait(run, timeout=300)
    assert status["status"] == "done", run.log_tail()
    # torch.get_num_threads() inside the training process, as it recorded it
    start = next(e for e in run.read_events(0)[0] if e["type"] == "start")
    assert start["cpu_threads"] == expected
    assert status["result"]["cpu_threads"] == expected
    assert f"{expected} CPU thread(s) per process" in run.log_tail(20000)


def test_cpu_threads_share_the_cores_between_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cores = hardware.cpu_threads(1)
    assert cores >= 1 and cores <= (os.cpu_count() or 1)
    assert hardware.cpu_threads(2) == max(1, cores // 2)
    assert hardware.cpu_threads(cores * 4) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert hardware.cpu_threads(1) == hardware.cpu_threads(8) == 3  # the user's count is per process


@pytest.mark.slow
@pytest.mark.parametrize("chosen", [None, "user"])
def test_an_eval_job_computes_on_all_the_cores(tiny_path: str, monkeypatch: pytest.MonkeyPatch,
                                               isolated_workspace: Path, chosen: str | None) -> None:
    expected = user_threads(monkeypatch, chosen)
    env = {**os.environ, "CHEMTUNE_HOME": str(isolated_workspace)}
    done = subprocess.run([sys.executable, "-m", "chemtune", "eval", "--model", tiny_path, "--benchmark",
                           "sample", "--limit", "4", "--json"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = jobs.run_folder(json.loads(done.stdout.strip().splitlines()[-1])["eval_id"])
    status = run.status()
    assert status["status"] == "done"
    assert status["cpu_threads"] == expected  # torch's own count in the job process after it scored
    assert f"{expected} CPU threads" in run.log_tail(20000)
