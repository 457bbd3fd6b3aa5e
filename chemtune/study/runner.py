"""Running a study: its folder, the driver process that walks the cells, status and abort.

`studies/<id>/` holds `config.yaml` (the declaration), `plan.json` (the cells), `cells.json` (each cell's
run id, status and error as last seen), `status.json` (the driver's own state), `log.txt`, and
`contamination.json`. The driver is `python -m chemtune.study.runner STUDY_DIR` in its own session: it
outlives the app and the terminal. Each cell is an ordinary train or eval job (queued behind any GPU job),
found again by its config, so a rerun after a kill -9 or a reboot starts only what has not finished.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from chemtune import jobs, workspace
from chemtune.errors import ChemtuneError
from chemtune.study import config as declaration
from chemtune.study.cells import find_run, job_config
from chemtune.study.plan import Cell, build_mixtures, expand

POLL_S = 0.5


class StudyFolder:
    """One study's folder and the files in it."""

    def __init__(self, study_id: str) -> None:
        self.path = workspace.folder("studies", study_id)
        self.study_id = self.path.name

    def file(self, name: str) -> Path:
        return self.path / name

    def exists(self) -> bool:
        return self.file("plan.json").exists()

    def study(self) -> declaration.StudyConfig:
        return declaration.from_yaml(self.file("config.yaml").read_text(encoding="utf-8"), self.study_id)

    def plan(self) -> list[dict]:
        return (workspace.read_json(self.file("plan.json"), {}) or {}).get("cells", [])

    def cells(self) -> dict[str, dict]:
        return workspace.read_json(self.file("cells.json"), {}) or {}

    def raw_status(self) -> dict:
        return workspace.read_json(self.file("status.json"), {}) or {}

    def update_status(self, **fields: Any) -> dict:
        status = {**self.raw_status(), **fields}
        workspace.write_json(self.file("status.json"), status)
        return status

    def set_cell(self, key: str, **fields: Any) -> None:
        cells = self.cells()
        cells[key] = {**cells.get(key, {}), **fields}
        workspace.write_json(self.file("cells.json"), cells)


def prepare(study: declaration.StudyConfig) -> tuple[StudyFolder, list[Cell]]:
    """Check the study, build its mixtures, and write its folder (the same config: the same folder)."""
    folder = StudyFolder(declaration.study_id(study))
    build_mixtures(study)
    cells = expand(study)
    folder.path.mkdir(parents=True, exist_ok=True)
    workspace.write_yaml(folder.file("config.yaml"), declaration.to_dict(study))
    workspace.write_json(folder.file("plan.json"), {"study_id": folder.study_id, "name": study.name,
                                                    "cells": [c.to_dict() for c in cells]})
    if not folder.file("status.json").exists():
        folder.update_status(status="planned", study_id=folder.study_id, name=study.name,
                             created=jobs.now_iso())
    return folder, cells


def driver_alive(folder: StudyFolder) -> bool:
    """True while a driver holds the study's lock (a killed driver's lock is released by the kernel)."""
    lock = folder.file(".driver.lock")
    if not lock.exists():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def start(study: declaration.StudyConfig) -> StudyFolder:
    """Prepare the study and start its driver, unless one is already running it."""
    folder, _ = prepare(study)
    if driver_alive(folder):
        return folder
    folder.file("abort.request").unlink(missing_ok=True)
    folder.update_status(status="running", error=None, ended=None, started=jobs.now_iso())
    with open(folder.file("log.txt"), "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "chemtune.study.runner", str(folder.path)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    folder.update_status(pid=proc.pid)
    deadline = time.monotonic() + 30
    while not driver_alive(folder) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the driver holds its lock, so a second start cannot start a second one
    return folder


def abort(study_id: str) -> dict:
    """Stop the running cell and every cell after it."""
    folder = StudyFolder(study_id)
    if not folder.exists():
        raise ChemtuneError(f"No study {study_id!r} in {declaration.studies_dir()}.",
                            ko=f"{declaration.studies_dir()}에 스터디 {study_id!r}이(가) 없습니다.")
    folder.file("abort.request").write_text(jobs.now_iso())
    if not driver_alive(folder):  # no driver to pass it on: stop the cells' jobs here
        for state in folder.cells().values():
            if state.get("run_id") and state.get("status") in jobs.ACTIVE:
                jobs.abort(state["run_id"])
        if folder.raw_status().get("status") in ("running", "planned"):
            folder.update_status(status="aborted", ended=jobs.now_iso(),
                                 error="Stopped at the user's request.")
    return status(study_id)


def status(study_id: str) -> dict:
    """The study's state and each cell's, read from the cells' own run folders."""
    folder = StudyFolder(study_id)
    if not folder.exists():
        raise ChemtuneError(f"No study {study_id!r} in {declaration.studies_dir()}.",
                            ko=f"{declaration.studies_dir()}에 스터디 {study_id!r}이(가) 없습니다.")
    own = folder.raw_status()
    if own.get("status") == "running" and not driver_alive(folder):
        own = folder.update_status(status="interrupted", ended=jobs.now_iso(),
                                   error="The study's driver ended before the last cell (killed or "
                                         "restarted); run the study again to go on.")
    states = folder.cells()
    cells = []
    for planned in folder.plan():
        state = dict(states.get(planned["key"], {}))
        if state.get("run_id"):
            try:
                run = jobs.run_folder(state["run_id"])
                live = run.status()
                state.update(status=live.get("status"), error=live.get("error"), run_dir=str(run.path),
                             progress=live.get("progress"))
            except ChemtuneError:
                state.update(status="missing", error=f"run {state['run_id']} is gone")
        cells.append({**{k: planned[k] for k in ("key", "kind", "model", "condition", "seed", "benchmark")},
                      "status": state.get("status") or "pending", "run_id": state.get("run_id"),
                      "run_dir": state.get("run_dir"), "error": state.get("error"),
                      "progress": state.get("progress")})
    counts: dict[str, int] = {}
    for cell in cells:
        counts[cell["status"]] = counts.get(cell["status"], 0) + 1
    return {"study_id": folder.study_id, "name": own.get("name"), "status": own.get("status", "planned"),
            "error": own.get("error"), "study_dir": str(folder.path), "cells": cells, "counts": counts}


def list_studies() -> list[dict]:
    """Every study in the workspace, newest first."""
    rows = []
    for path in declaration.studies_dir().iterdir():
        if (path / "plan.json").exists():
            own = workspace.read_json(path / "status.json", {}) or {}
            rows.append({"study_id": path.name, "name": own.get("name"), "status": own.get("status"),
                         "created": own.get("created"), "mtime": (path / "plan.json").stat().st_mtime})
    return sorted(rows, key=lambda row: row["mtime"], reverse=True)


def wait(study_id: str, timeout: float = 7 * 24 * 3600.0, on_change: Any = None) -> dict:
    """Block until the study's driver has ended; `on_change(status)` sees each change of a cell."""
    deadline, seen = time.monotonic() + timeout, None
    folder = StudyFolder(study_id)
    while True:
        current = status(study_id)
        shown = [(c["key"], c["status"]) for c in current["cells"]]
        if on_change and shown != seen:
            on_change(current)
        seen = shown
        if current["status"] != "running" or not driver_alive(folder):
            return status(study_id)
        if time.monotonic() > deadline:
            raise ChemtuneError(f"Study {study_id} did not finish within {timeout:.0f} s; it keeps running.",
                                ko=f"스터디 {study_id}이(가) {timeout:.0f}초 안에 끝나지 않았습니다; 계속 "
                                   "실행 중입니다.")
        time.sleep(POLL_S)


# --------------------------------------------------------------------------------------------------
# The driver


def drive(folder: StudyFolder) -> str:
    """Walk the cells in order: reuse a finished run of the same config, else start (or resume) one and
    wait for it. A failed cell is recorded and the rest go on; an abort request stops it all."""
    cells = [Cell(**{k: v for k, v in c.items() if k != "key"}) for c in folder.plan()]
    by_key = {cell.key: cell for cell in cells}
    failed = 0
    for cell in cells:
        if folder.file("abort.request").exists():
            break
        needed = folder.cells().get(cell.needs, {}) if cell.needs else {}
        if cell.needs and needed.get("status") != "done":
            folder.set_cell(cell.key, status="failed", run_id=None,
                            error=f"its training cell ({by_key[cell.needs].label}) did not finish: "
                                  f"{needed.get('error') or needed.get('status')}")
            failed += 1
            continue
        try:
            config = job_config(cell, needed.get("run_id"))
            run, how = find_run(cell.kind, config)
            if run is None or how == "start":
                run = _start(cell, config)
                how = "started"
            elif how == "resume":
                from chemtune.train import job as train_job

                run = train_job.resume(run.run_id)
            print(f"[{jobs.now_iso()}] {cell.key}: {how} {run.run_id}", flush=True)
            folder.set_cell(cell.key, run_id=run.run_id, status=run.status().get("status"), error=None)
            final = _follow(folder, run)
        except ChemtuneError as error:
            final = {"status": "failed", "error": str(error)}
        except Exception as error:  # one broken cell must not stop the others
            traceback.print_exc()
            final = {"status": "failed", "error": f"{type(error).__name__}: {error}"}
        folder.set_cell(cell.key, status=final.get("status"), error=final.get("error"))
        failed += final.get("status") != "done" and not folder.file("abort.request").exists()
    if folder.file("abort.request").exists():
        return "aborted"
    return "failed" if failed else "done"


def _start(cell: Cell, config: dict) -> jobs.RunFolder:
    if cell.kind == "train":
        from chemtune.train import job as train_job

        return train_job.start(config)
    return jobs.start_job("eval", config, uses_gpu=config.get("method") != "endpoint")


def _follow(folder: StudyFolder, run: jobs.RunFolder) -> dict:
    asked = False
    while True:
        current = run.status()
        if current.get("status") in jobs.FINISHED:
            return current
        if folder.file("abort.request").exists() and not asked:
            jobs.abort(run.run_id)
            asked = True
        if current.get("status") == "queued":
            jobs.schedule()
        time.sleep(POLL_S)


def run_driver(path: Path) -> int:
    """Body of `python -m chemtune.study.runner STUDY_DIR`."""
    folder = StudyFolder(Path(path).name)
    handle = open(folder.file(".driver.lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another driver is running this study", flush=True)
        return 0
    folder.update_status(status="running", pid=os.getpid(), error=None, ended=None)
    print(f"[{jobs.now_iso()}] study {folder.study_id} started (pid {os.getpid()})", flush=True)
    try:
        from chemtune.study.tables import contamination

        contamination(folder)
        final = drive(folder)
        error = {"aborted": "Stopped at the user's request.",
                 "failed": "Some cells failed; the others finished (see each cell's error)."}.get(final)
    except BaseException as exc:
        traceback.print_exc()
        final, error = "failed", f"{type(exc).__name__}: {exc}"
    folder.update_status(status=final, ended=jobs.now_iso(), error=error)
    print(f"[{jobs.now_iso()}] study {folder.study_id} {final}", flush=True)
    return 0 if final == "done" else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m chemtune.study.runner STUDY_DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(run_driver(Path(sys.argv[1])))
