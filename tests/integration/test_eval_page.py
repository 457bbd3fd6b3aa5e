"""The Evaluate tab's handlers against the library: what they start, store and show."""

from __future__ import annotations

import time
from pathlib import Path

from pages import evaluate_handlers
from pages.evaluate_strings import STRINGS
from tests.support.openai_stub import OpenAIStub

KEY = "sk-local-secret-0123456789"


def _wait_done(run_id: str, timeout: float = 60.0) -> dict:
    from chemtune import jobs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.run_folder(run_id).status()
        if status.get("status") in jobs.FINISHED:
            return status
        jobs.schedule()
        time.sleep(0.2)
    raise AssertionError(f"{run_id} did not finish")


def test_the_endpoint_key_reaches_the_job_and_is_never_written_to_disk(isolated_workspace: Path) -> None:
    with OpenAIStub(responder=lambda body: "Answer: A") as stub:
        run_id, message = evaluate_handlers.start_eval(
            "tiny", None, "", "sample", None, "", "subject", "endpoint", 0, 2, stub.base_url,
            "stub-model", KEY, "en",
        )
        assert "started" in message, message
        assert _wait_done(run_id)["status"] == "done"
        assert stub.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    holding = [path for path in isolated_workspace.rglob("*")
               if path.is_file() and KEY.encode() in path.read_bytes()]
    assert holding == []
    for text in STRINGS["api_key_help"].values():  # the help says what happens: nothing is kept
        assert "workspace" not in text and "작업 폴더에 저장" not in text
    assert "never written to disk" in STRINGS["api_key_help"]["en"]
