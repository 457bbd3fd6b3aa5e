"""Long jobs (generate, train, eval) as run folders plus a child process.

A run folder holds `config.yaml` (enough to repeat the job), `status.json`, `events.jsonl`, `log.txt` and
the job's outputs. The UI and CLI only read these files, so a browser refresh or an app restart loses
nothing. A job is started as `python -m chemtune.jobs run RUN_DIR` in its own session; that process runs
the job kind's worker (in-process, or a command such as `accelerate launch` as its child), writes the
final status, and then starts the next queued GPU job. Only one GPU job runs at a time.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chemtune import hardware, workspace
from chemtune.errors import ChemtuneError

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "aborted", "interrupted")


@dataclass(frozen=True)
class JobKind:
    """A kind of job: where its folder lives, whether it needs the GPU, and what runs it."""

    name: str
    worker: str  # "module:function", called with a JobContext
    uses_gpu: bool = False
    home: str = "runs"  # workspace kind: "runs" or "evals"
    # Optional "module:function" returning the argv that runs the worker (e.g. accelerate launch);
    # by default the worker runs inside the job process itself.
    command: str | None = None
    description: str = ""


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


register(JobKind(
    name="device-check",
    worker="chemtune.jobs:device_check_worker",
    uses_gpu=True,
    description="Measures matrix-multiply throughput on the job device, one measurement per step.",
))
register(JobKind(
    name="build-model",
    worker="chemtune.models:build_model_worker",
    description="Builds a local model (the offline tiny model) into the workspace.",
))
register(JobKind(name="generate", worker="chemtune.datagen.job:run", home="runs"))
register(JobKind(name="train", worker="chemtune.train.job:run", uses_gpu=True,
                 command="chemtune.train.job:command"))
register(JobKind(name="eval", worker="chemtune.evaluate.job:run", uses_gpu=True, home="evals"))
register(JobKind(name="export-model", worker="chemtune.share.job:export_worker",
                 description="Exports a train run's merged model (safetensors or GGUF with a Modelfile)."))
register(JobKind(name="publish", worker="chemtune.share.job:publish_worker",
                 description="Publishes a train run's adapter or merged model to the Hugging Face Hub."))


def get_kind(name: str) -> JobKind:
    if name not in KINDS:
        raise ChemtuneError(f"Unknown job kind {name!r}; known kinds: {', '.join(sorted(KINDS))}.",
                            ko=f"알 수 없는 작업 종류 {name!r}; 알려진 종류: {', '.join(sorted(KINDS))}.")
    return KINDS[name]


def _load(target: str) -> Callable:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


class JobAborted(Exception):
    """Raised inside a worker when the user asked the job to stop."""


# --------------------------------------------------------------------------------------------------
# The run folder


@dataclass
class RunFolder:
    """One job's folder and the files in it."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def config_file(self) -> Path:
        return self.path / "config.yaml"

    @property
    def status_file(self) -> Path:
        return self.path / "status.json"

    @property
    def events_file(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def log_file(self) -> Path:
        return self.path / "log.txt"

    @property
    def abort_file(self) -> Path:
        return self.path / "abort.request"

    def config(self) -> dict:
        return workspace.read_yaml(self.config_file, {}) or {}

    def raw_status(self) -> dict:
        return workspace.read_json(self.status_file, {}) or {}

    def update_status(self, **fields: Any) -> dict:
        # Only the job process (or the scheduler under its lock) writes status, so read-modify-write is safe.
        status = self.raw_status()
        status.update(fields)
        workspace.write_json(self.status_file, status)
        return status

    def status(self) -> dict:
        """The status, with a dead 'running' process recorded as 'interrupted'."""
        status = self.raw_status()
        if status.get("status") == "running" and not _process_alive(
                status.get("pid"), status.get("pid_start")):
            _kill_orphans(status.get("pid"), status.get("pid_start"))
            status = self.update_status(
                status="interrupted", ended=now_iso(),
                error="The job's process ended without recording a result (killed or crashed).")
            if getattr(_LOCK_STATE, "depth", 0) == 0:  # (schedule() itself reads statuses under the lock)
                schedule()  # the GPU it held is free: start the next queued job
        return status

    def read_events(self, offset: int = 0) -> tuple[list[dict], int]:
        """Events appended since byte `offset`, and the offset to pass next time (complete lines only)."""
        return read_jsonl_since(self.events_file, offset)

    def last_event(self, type: str, tail_bytes: int = 65536) -> dict:
        """The newest event of a type, read from the end of events.jsonl (cheap on long runs), or {}."""
        if not self.events_file.exists():
            return {}
        with open(self.events_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - tail_bytes))
            lines = handle.read().splitlines()
        for line in reversed(lines):
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the cut first line, or one still being written
            if isinstance(event, dict) and event.get("type") == type:
                return event
        return {}

    def log_tail(self, max_chars: int = 4000) -> str:
        if not self.log_file.exists():
            return ""
        with open(self.log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_chars))
            return handle.read().decode("utf-8", errors="replace")


def read_jsonl_since(path: Path, offset: int) -> tuple[list[dict], int]:
    """Parse JSON lines after byte `offset`; a line still being written is left for the next call."""
    if not path.exists():
        return [], offset
    with open(path, "rb") as handle:
        handle.seek(offset)
        chunk = handle.read()
    end = chunk.rfind(b"\n") + 1
    events = []
    for line in chunk[:end].splitlines():
        if line.strip():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events, offset + end


def _process_start_time(pid: int) -> float | None:
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:
        return None


def _process_alive(pid: int | None, pid_start: float | None) -> bool:
    if not pid:
        return False
    try:
        import psutil

        proc = psutil.Process(int(pid))
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        # A recycled pid belongs to another process: compare start times.
        return pid_start is None or abs(proc.create_time() - float(pid_start)) < 1.0
    except Exception:
        return False


def _kill_orphans(pid: int | None, pid_start: float | None) -> None:
    """End what a dead job process left running (e.g. training processes under accelerate launch).

    The job process led its own session, so its children share its process group id."""
    if not pid:
        return
    import psutil

    for proc in psutil.process_iter(["pid", "create_time"]):
        try:
            if os.getpgid(proc.pid) == int(pid) and proc.info["create_time"] >= float(pid_start or 0) - 1:
                proc.kill()
        except (ProcessLookupError, psutil.Error, OSError):
            continue


# --------------------------------------------------------------------------------------------------
# Starting, listing, aborting


def new_run_id(kind: str) -> str:
    return f"{kind}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


# Extra environment for job processes this process will spawn (e.g. an API key), by run id. Held in
# memory only and never written to the run folder. Limitation: it reaches a job only when this same
# process starts it; a CPU job (generate) always starts at once, but a GPU job queued behind another and
# started later by that job's process runs without it.
_LAUNCH_ENV: dict[str, dict[str, str]] = {}


def start_job(kind: str, config: dict, run_id: str | None = None, env: dict[str, str] | None = None,
              uses_gpu: bool | None = None) -> RunFolder:
    """Create the run folder for a job and start it now, or leave it queued behind a running GPU job.

    `env`: extra environment variables for the job process (secrets such as an API key), never stored.
    `uses_gpu`: overrides the kind's default (an evaluation through a remote endpoint needs no GPU).
    """
    job_kind = get_kind(kind)
    run_id = run_id or new_run_id(kind)
    path = workspace.folder(job_kind.home, run_id)
    if path.exists() and any(path.iterdir()):
        raise ChemtuneError(f"A run named {run_id!r} already exists; choose another name.",
                            ko=f"{run_id!r}라는 실행이 이미 있습니다; 다른 이름을 고르세요.")
    path.mkdir(parents=True, exist_ok=True)
    run = RunFolder(path)
    workspace.write_yaml(run.config_file, {"kind": kind, **config})
    run.events_file.touch()
    run.log_file.touch()
    gpu = job_kind.uses_gpu if uses_gpu is None else bool(uses_gpu)
    # Under the queue lock, so no other process can start the job before its env is in place.
    with _scheduler_lock():
        if env:
            _LAUNCH_ENV[run_id] = dict(env)
        run.update_status(status="queued", kind=kind, run_id=run_id, created=now_iso(),
                          queued_at=time.time(), uses_gpu=gpu)
        schedule()
    return run


def restart_job(run: RunFolder, env: dict[str, str] | None = None, **config_changes: Any) -> RunFolder:
    """Queue a finished run again in the same folder (e.g. resume from its last checkpoint)."""
    status = run.status()
    if status.get("status") in ACTIVE:
        raise ChemtuneError(f"Run {run.run_id} is still {status['status']}.",
                            ko=f"실행 {run.run_id}은(는) 아직 {status['status']} 상태입니다.")
    if config_changes:
        workspace.write_yaml(run.config_file, {**run.config(), **config_changes})
    run.abort_file.unlink(missing_ok=True)
    # The previous session's figures would read as this one's until it records its own.
    run.update_status(status="queued", queued_at=time.time(), error=None, ended=None, pid=None,
                      result=None, progress=None)
    if env:
        _LAUNCH_ENV[run.run_id] = dict(env)
    schedule()
    return run


def run_folder(run_id: str) -> RunFolder:
    """Find a run by id in runs/ or evals/."""
    for kind in ("runs", "evals"):
        path = workspace.home() / kind / workspace.check_name(run_id, "run id")
        if (path / "status.json").exists():
            return RunFolder(path)
    raise ChemtuneError(f"No run named {run_id!r} in {workspace.home()}.",
                        ko=f"{workspace.home()}에 {run_id!r}라는 실행이 없습니다.")


def list_runs(kind: str | None = None) -> list[dict]:
    """Every run (newest first) with its status; a dead 'running' job shows as 'interrupted'."""
    rows = []
    for home in ("runs", "evals"):
        for path in (workspace.home() / home).iterdir():
            if not (path / "status.json").exists():
                continue
            status = RunFolder(path).status()
            if kind and status.get("kind") != kind:
                continue
            rows.append({"run_id": path.name, "run_dir": str(path), **status})
    rows.sort(key=lambda row: row.get("created") or "", reverse=True)
    return rows


def active_run(kind: str) -> str | None:
    """The newest queued or running job of `kind` (what a refreshed page reattaches to), else None."""
    return next((row["run_id"] for row in list_runs(kind) if row.get("status") in ACTIVE), None)


def abort(run_id: str) -> dict:
    """Ask a job to stop at its next step; a queued job is cancelled at once."""
    run = run_folder(run_id)
    with _scheduler_lock():
        status = run.status()
        if status.get("status") == "queued":
            return run.update_status(status="aborted", ended=now_iso(), error="Cancelled before it started.")
        if status.get("status") != "running":
            return status
        run.abort_file.write_text(now_iso())
    return status


def wait(run: RunFolder, timeout: float = 600.0, poll: float = 0.2) -> dict:
    """Block until the job has finished; return its final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = run.status()
        if status.get("status") in FINISHED:
            return status
        if status.get("status") == "queued":
            schedule()
        time.sleep(poll)
    raise TimeoutError(f"run {run.run_id} did not finish within {timeout:.0f} s")


# --------------------------------------------------------------------------------------------------
# The queue


_LOCK_STATE = threading.local()


class _scheduler_lock:
    """An exclusive lock on the workspace's job queue, across processes; re-entrant within a thread."""

    def __enter__(self) -> None:
        depth = getattr(_LOCK_STATE, "depth", 0)
        if depth == 0:
            _LOCK_STATE.handle = open(workspace.home() / "runs" / ".queue.lock", "a+")
            fcntl.flock(_LOCK_STATE.handle, fcntl.LOCK_EX)
        _LOCK_STATE.depth = depth + 1

    def __exit__(self, *exc: object) -> None:
        _LOCK_STATE.depth -= 1
        if _LOCK_STATE.depth == 0:
            fcntl.flock(_LOCK_STATE.handle, fcntl.LOCK_UN)
            _LOCK_STATE.handle.close()


def schedule() -> list[str]:
    """Start queued jobs that may run now: all CPU jobs, and the oldest GPU job when none is running."""
    started = []
    with _scheduler_lock():
        runs = []
        for home in ("runs", "evals"):
            for path in (workspace.home() / home).iterdir():
                if (path / "status.json").exists():
                    run = RunFolder(path)
                    runs.append((run, run.status()))
        gpu_busy = any(s.get("status") == "running" and _uses_gpu(s) for _, s in runs)
        queued = sorted((item for item in runs if item[1].get("status") == "queued"),
                        key=lambda item: item[1].get("queued_at") or 0)
        for run, status in queued:
            kind = KINDS.get(status.get("kind", ""))
            if kind is None:
                run.update_status(status="failed", error=f"unknown job kind {status.get('kind')!r}")
                continue
            if _uses_gpu(status):
                if gpu_busy:
                    continue
                gpu_busy = True
            _spawn(run)
            started.append(run.run_id)
    return started


def _uses_gpu(status: dict) -> bool:
    kind = KINDS.get(status.get("kind", ""))
    return bool(status.get("uses_gpu", kind.uses_gpu if kind else True))


def _spawn(run: RunFolder) -> None:
    log = open(run.log_file, "ab")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **_LAUNCH_ENV.pop(run.run_id, {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chemtune.jobs", "run", str(run.path)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        start_new_session=True,  # survives the app or terminal that started it
    )
    log.close()
    run.update_status(status="running", pid=proc.pid, pid_start=_process_start_time(proc.pid),
                      started=now_iso(), error=None)


# --------------------------------------------------------------------------------------------------
# Inside the job process


@dataclass
class JobContext:
    """What a worker gets: its config, and ways to report progress and to notice an abort request."""

    run: RunFolder
    config: dict
    _last_status_write: float = field(default=0.0, repr=False)

    @property
    def run_dir(self) -> Path:
        return self.run.path

    def event(self, **fields: Any) -> None:
        workspace.append_jsonl(self.run.events_file, {"time": round(time.time(), 3), **fields})

    def log(self, message: str) -> None:
        print(message, flush=True)  # stdout is the run's log.txt

    def progress(self, done: int, total: int | None, **extra: Any) -> None:
        """Record progress as an event and, at most once a second, in status.json."""
        self.event(type="progress", done=done, total=total, **extra)
        if time.monotonic() - self._last_status_write > 1.0 or (total and done >= total):
            self.run.update_status(progress={"done": done, "total": total})
            self._last_status_write = time.monotonic()

    def should_stop(self) -> bool:
        return self.run.abort_file.exists()

    def check_abort(self) -> None:
        if self.should_stop():
            raise JobAborted()


def run_job_process(run_dir: Path) -> int:
    """Body of `python -m chemtune.jobs run RUN_DIR`: run the worker, record the result, start the next."""
    run = RunFolder(Path(run_dir))
    config = run.config()
    kind = get_kind(config.get("kind", ""))
    # The scheduler that spawned us holds the lock until it has recorded our pid; wait for it.
    with _scheduler_lock():
        run.update_status(status="running", pid=os.getpid(), pid_start=_process_start_time(os.getpid()))
    threads = ""
    if not kind.command:
        threads = f", {_give_cpu_threads()} CPU threads"
    print(f"[{now_iso()}] {kind.name} job {run.run_id} started (pid {os.getpid()}{threads})", flush=True)
    try:
        if kind.command:
            _run_command(run, _load(kind.command)(run, config))
            result = run.raw_status().get("result")  # the command's worker records its own result
        else:
            result = _load(kind.worker)(JobContext(run, config))
            if isinstance(result, dict):
                run.update_status(result=result)
        # What the worker did decides, not whether a stop was asked for after its last step.
        final, error = "done", None
        if isinstance(result, dict) and result.get("status") == "aborted":
            final, error = "aborted", "Stopped at the user's request."
    except JobAborted:
        final, error = "aborted", "Stopped at the user's request."
    except ChemtuneError as exc:
        final, error = "failed", str(exc)
        print(f"error: {exc}", flush=True)
    except BaseException as exc:  # a crash is recorded, never lost
        final, error = "failed", f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    if not kind.command and "torch" in sys.modules:  # the threads its computing actually ran on
        run.update_status(cpu_threads=sys.modules["torch"].get_num_threads())
    run.update_status(status=final, ended=now_iso(), error=error)
    print(f"[{now_iso()}] {kind.name} job {run.run_id} {final}", flush=True)
    try:
        schedule()
    except Exception:
        traceback.print_exc()
    return 0 if final == "done" else 1


def _give_cpu_threads() -> int:
    """Threads for a worker that computes in this process (eval, generate's local parts): set before it
    imports torch, which reads OMP_NUM_THREADS once. A count the user set is kept (cpu_threads returns it);
    a command such as accelerate launch sets its own processes' share instead."""
    threads = hardware.cpu_threads()
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    return threads


def _run_command(run: RunFolder, argv: list[str]) -> None:
    """Run a worker command as our child; it dies with us, and an abort request reaches it as a file."""
    print("$ " + " ".join(argv), flush=True)

    def die_with_parent() -> None:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    proc = subprocess.Popen(argv, preexec_fn=die_with_parent, stdin=subprocess.DEVNULL)
    code = proc.wait()
    if code != 0:
        status = run.raw_status()
        raise ChemtuneError(status.get("error") or f"The worker exited with code {code}; see log.txt.",
                            ko=status.get("error") or f"워커가 코드 {code}로 종료했습니다; log.txt를 보세요.")


# --------------------------------------------------------------------------------------------------
# The device-check job kind: small, real, step-based, uses the GPU when there is one


def device_check_worker(ctx: JobContext) -> dict:
    """Time `steps` square matrix multiplications on the job device and report TFLOP/s per step."""
    import torch

    steps = int(ctx.config.get("steps", 10))
    size = int(ctx.config.get("size", 256))
    pause = float(ctx.config.get("pause_s", 0.0))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    torch.manual_seed(0)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    ctx.log(f"device-check: {steps} steps of {size}x{size} matmul on {device}")
    best = 0.0
    for step in range(1, steps + 1):
        ctx.check_abort()
        start = time.perf_counter()
        for _ in range(4):
            (a @ b).sum().item()
        seconds = (time.perf_counter() - start) / 4
        tflops = 2 * size**3 / seconds / 1e12
        best = max(best, tflops)
        ctx.event(type="metric", step=step, tflops=round(tflops, 6))
        ctx.progress(step, steps)
        if pause:
            time.sleep(pause)
    return {"device": device, "best_tflops": round(best, 6), "steps": steps}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "run":
        return run_job_process(Path(argv[1]))
    print("usage: python -m chemtune.jobs run RUN_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    # Run through the imported module, so that workers raising chemtune.jobs.JobAborted (a class of the
    # module, not of this __main__ copy) are recognised.
    from chemtune.jobs import main as module_main

    sys.exit(module_main())
