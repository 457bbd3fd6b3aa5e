"""A study's folder and state without its driver: a study whose driver died reads as interrupted, and an
abort then stops its cells' jobs itself."""

from __future__ import annotations

from chemtune import jobs, workspace
from chemtune.study import config, runner

STUDY = {"name": "stop", "models": ["tiny"], "conditions": {"none": []},
         "benchmarks": [{"benchmark": "sample"}]}


def test_a_dead_driver_reads_as_interrupted_and_abort_cancels_the_queued_cell() -> None:
    folder, cells = runner.prepare(config.parse(STUDY))
    assert runner.status(folder.study_id)["status"] == "planned"
    # As a killed driver leaves it: "running", a cell's job still queued, nobody holding the lock.
    path = workspace.folder("evals", "eval-queued", create=True)
    workspace.write_yaml(path / "config.yaml", {"kind": "eval", **cells[0].config})
    workspace.write_json(path / "status.json", {"status": "queued", "kind": "eval", "run_id": "eval-queued",
                                                "queued_at": 0})
    folder.set_cell(cells[0].key, run_id="eval-queued", status="queued")
    folder.update_status(status="running", pid=2 ** 22 + 1)
    assert not runner.driver_alive(folder)
    assert runner.status(folder.study_id)["status"] == "interrupted"

    folder.update_status(status="running")
    stopped = runner.abort(folder.study_id)
    assert stopped["status"] == "aborted"
    assert stopped["cells"][0]["status"] == "aborted"
    assert jobs.run_folder("eval-queued").status()["status"] == "aborted"
    assert runner.list_studies()[0]["study_id"] == folder.study_id
