"""The job machinery with the real `device-check` job kind: processes, statuses, events, the GPU queue."""

import os
import signal
import subprocess
import sys
import time

import pytest

from chemtune import jobs
from chemtune.errors import ChemtuneError


def wait_for(predicate, timeout=60.0, poll=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("condition not met in time")


def test_a_job_runs_to_done_and_writes_its_run_folder():
    run = jobs.start_job("device-check", {"steps": 3, "size": 64})
    status = jobs.wait(run, timeout=120)
    assert status["status"] == "done", run.log_tail()
    assert status["result"]["steps"] == 3
    assert {p.name for p in run.path.iterdir()} >= {"config.yaml", "status.json", "events.jsonl", "log.txt"}
    assert run.config() == {"kind": "device-check", "steps": 3, "size": 64}
    events, _ = run.read_events(0)
    assert [e["step"] for e in events if e.get("type") == "metric"] == [1, 2, 3]
    assert "device-check job" in run.log_tail()


def test_events_are_read_incrementally_from_an_offset():
    run = jobs.start_job("device-check", {"steps": 4, "size": 64})
    jobs.wait(run, timeout=120)
    everything, end = run.read_events(0)
    first, middle = run.read_events(0)
    assert first == everything and middle == end
    again, offset = run.read_events(end)
    assert again == [] and offset == end
    # a line still being written is not returned until it is complete
    with open(run.events_file, "a") as handle:
        handle.write('{"type": "metric", "step"')
    partial, offset2 = run.read_events(end)
    assert partial == [] and offset2 == end
    with open(run.events_file, "a") as handle:
        handle.write(': 99}\n')
    complete, _ = run.read_events(end)
    assert complete == [{"type": "metric", "step": 99}]


def test_abort_stops_the_job_at_its_next_step():
    run = jobs.start_job("device-check", {"steps": 500, "size": 32, "pause_s": 0.05})
    wait_for(lambda: any(e.get("type") == "metric" for e in run.read_events(0)[0]))
    jobs.abort(run.run_id)
    status = jobs.wait(run, timeout=60)
    assert status["status"] == "aborted"
    steps = [e["step"] for e in run.read_events(0)[0] if e.get("type") == "metric"]
    assert 0 < len(steps) < 500


def test_a_killed_job_is_recorded_as_interrupted():
    run = jobs.start_job("device-check", {"steps": 1000, "size": 32, "pause_s": 0.05})
    wait_for(lambda: any(e.get("type") == "metric" for e in run.read_events(0)[0]))
    pid = run.raw_status()["pid"]
    os.kill(pid, signal.SIGKILL)
    status = wait_for(lambda: (s := run.status())["status"] != "running" and s)
    assert status["status"] == "interrupted"
    assert "ended without recording" in status["error"]
    listed = {row["run_id"]: row["status"] for row in jobs.list_runs()}
    assert listed[run.run_id] == "interrupted"


def test_a_second_gpu_job_waits_queued_and_starts_when_the_first_ends():
    first = jobs.start_job("device-check", {"steps": 1000, "size": 32, "pause_s": 0.05})
    second = jobs.start_job("device-check", {"steps": 2, "size": 32})
    assert first.status()["status"] == "running"
    time.sleep(1.0)
    assert second.status()["status"] == "queued"
    jobs.abort(first.run_id)
    assert jobs.wait(first, timeout=60)["status"] == "aborted"
    # the first job's process starts the next queued job itself when it finishes
    assert jobs.wait(second, timeout=60)["status"] == "done"


def test_a_queued_job_starts_after_a_restart_once_the_gpu_is_free():
    first = jobs.start_job("device-check", {"steps": 1000, "size": 32, "pause_s": 0.05})
    second = jobs.start_job("device-check", {"steps": 2, "size": 32})
    wait_for(lambda: any(e.get("type") == "metric" for e in first.read_events(0)[0]))
    # kill -9: the first job cannot start its successor; a restarted app's schedule() does
    os.kill(first.raw_status()["pid"], signal.SIGKILL)
    time.sleep(0.5)
    assert first.raw_status()["status"] == "running"  # nobody has looked yet
    assert second.raw_status()["status"] == "queued"
    subprocess.run([sys.executable, "-c", "from chemtune import jobs; print(jobs.schedule())"],
                   check=True, capture_output=True)
    assert jobs.wait(second, timeout=60)["status"] == "done"
    assert first.status()["status"] == "interrupted"


def test_noticing_a_dead_gpu_job_starts_the_next_queued_one():
    first = jobs.start_job("device-check", {"steps": 1000, "size": 32, "pause_s": 0.05})
    second = jobs.start_job("device-check", {"steps": 2, "size": 32})
    wait_for(lambda: any(e.get("type") == "metric" for e in first.read_events(0)[0]))
    os.kill(first.raw_status()["pid"], signal.SIGKILL)
    wait_for(lambda: first.status()["status"] == "interrupted")
    assert second.raw_status()["status"] in ("running", "done")
    assert jobs.wait(second, timeout=60)["status"] == "done"


def test_cpu_jobs_do_not_wait_for_the_gpu():
    gpu = jobs.start_job("device-check", {"steps": 1000, "size": 32, "pause_s": 0.05})
    cpu = jobs.start_job("build-model", {"model": "tiny"})
    try:
        assert cpu.status()["status"] == "running"
        assert jobs.wait(cpu, timeout=120)["status"] == "done"
    finally:
        jobs.abort(gpu.run_id)
        jobs.wait(gpu, timeout=60)


def test_a_failing_job_records_the_error_message():
    run = jobs.start_job("build-model", {"model": "llama-2-7b"})
    status = jobs.wait(run, timeout=60)
    assert status["status"] == "failed"
    assert "'llama-2-7b' cannot be built locally; these can: tiny, smollm2-135m-instruct" in status["error"]


def test_cancelling_a_queued_job_never_starts_it():
    first = jobs.start_job("device-check", {"steps": 1000, "size": 32, "pause_s": 0.05})
    second = jobs.start_job("device-check", {"steps": 2, "size": 32})
    assert jobs.abort(second.run_id)["status"] == "aborted"
    jobs.abort(first.run_id)
    jobs.wait(first, timeout=60)
    time.sleep(0.5)
    assert second.status()["status"] == "aborted" and not second.status().get("pid")


def test_unknown_kind_and_run_are_clear_errors():
    with pytest.raises(ChemtuneError, match="Unknown job kind"):
        jobs.start_job("bake", {})
    with pytest.raises(ChemtuneError, match="No run named"):
        jobs.run_folder("nope")
    with pytest.raises(ChemtuneError, match="must not"):
        jobs.run_folder("../etc")


def test_a_job_marked_cpu_only_runs_beside_a_gpu_job_and_gets_its_secret_env():
    gpu = jobs.start_job("device-check", {"steps": 1000, "size": 32, "pause_s": 0.05})
    cpu = jobs.start_job("device-check", {"steps": 2, "size": 32}, uses_gpu=False,
                         env={"CHEMTUNE_TEST_SECRET": "sk-not-on-disk"})
    try:
        assert jobs.wait(cpu, timeout=60)["status"] == "done"
    finally:
        jobs.abort(gpu.run_id)
        jobs.wait(gpu, timeout=60)
    on_disk = "".join(p.read_text(errors="replace") for p in cpu.path.iterdir() if p.is_file())
    assert "sk-not-on-disk" not in on_disk


def test_the_newest_event_of_a_type_is_read_from_the_end_of_the_file():
    run = jobs.start_job("device-check", {"steps": 3, "size": 32})
    jobs.wait(run, timeout=60)
    assert run.last_event("progress")["done"] == 3
    assert run.last_event("metric")["step"] == 3
    assert run.last_event("nothing-like-this") == {}
