"""`python -m chemtune generate/import/export/datasets` and the generate job, against the local stub."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chemtune import jobs, workspace
from chemtune.datagen import job as generate_job
from chemtune.datagen.cache import ResponseCache
from chemtune.datagen.pipeline import GenerateConfig
from chemtune.records import list_datasets
from tests.support.datagen_answers import task_answers
from tests.support.openai_stub import Fail, OpenAIStub, Reply

KEY = "sk-cli-5e4d3c2b1a0f9e8d7c6b"
REPO = Path(__file__).resolve().parents[2]
WORDS = (
    "zeolite perovskite benzene ethanol graphene platinum nickel lithium ammonia methane ozone silica "
    "titania copper alumina cobalt iron sulfur nitrate chloride polymer membrane electrode anode cathode "
    "hydrogen oxygen catalyst support calcination reduction oxidation adsorption spectra kinetics"
).split()
GENERATE_KEYS = {
    "dataset",
    "requested",
    "succeeded",
    "failed",
    "cached",
    "deduplicated",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
}


@pytest.fixture
def stub():
    with OpenAIStub(responder=task_answers) as server:
        yield server


def _abstracts(path: Path, count: int) -> Path:
    rng = random.Random(7)
    rows = [
        {"title": f"Paper {i}", "abstract": f"Paper{i}: " + " ".join(rng.sample(WORDS, 10)) + "."}
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _cli(*args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "chemtune", *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )


def _run(*args: str) -> tuple[int, dict | None, str]:
    process = _cli(*args)
    out, err = process.communicate(timeout=120)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    return process.returncode, json.loads(last) if last.startswith("{") else None, err


def _no_key_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and KEY[:12].encode() in p.read_bytes()]


def test_cli_generate_prints_the_summary_keys_and_writes_the_dataset(
    stub: OpenAIStub, tmp_path: Path, isolated_workspace: Path
) -> None:
    stub.on("Paper2:", Fail(400, message="bad request"))
    source = _abstracts(tmp_path / "papers.jsonl", 5)
    code, result, err = _run(
        "generate",
        "--task",
        "keywords",
        "--source",
        str(source),
        "--text-column",
        "abstract",
        "--out",
        "kw",
        "--base-url",
        stub.base_url,
        "--concurrency",
        "3",
        "--json",
    )
    assert code == 0, err
    assert set(result) == GENERATE_KEYS
    assert (result["requested"], result["succeeded"], result["failed"]) == (5, 4, 1)
    assert result["prompt_tokens"] > 0 and result["cost_usd"] > 0
    folder = isolated_workspace / "datasets" / "kw"
    assert {p.name for p in folder.iterdir()} >= {"records.jsonl", "failures.jsonl", "meta.json"}
    assert _no_key_in(isolated_workspace) == []

    code, listing, _ = _run("datasets", "--json")
    assert [d["count"] for d in listing["datasets"] if d["name"] == "kw"] == [4]
    code, exported, _ = _run(
        "export", "kw", "--format", "sharegpt", "--out", str(tmp_path / "kw.jsonl"), "--json"
    )
    assert code == 0 and exported["count"] == 4
    code, _, err = _run(
        "generate", "--task", "nope", "--source", str(source), "--out", "x", "--base-url", stub.base_url
    )
    assert code == 1 and "Unknown task 'nope'" in err and "Traceback" not in err


def test_rerun_after_kill_9_sends_no_request_for_finished_documents(
    stub: OpenAIStub, tmp_path: Path, isolated_workspace: Path
) -> None:
    stub.latency = 0.2
    source = _abstracts(tmp_path / "papers.jsonl", 24)
    args = (
        "generate",
        "--task",
        "keywords",
        "--source",
        str(source),
        "--out",
        "crash",
        "--base-url",
        stub.base_url,
        "--concurrency",
        "2",
        "--json",
    )
    process = _cli(*args)
    cache = ResponseCache(isolated_workspace / "cache" / "llm")
    deadline = time.monotonic() + 60
    while len(cache) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    finished = len(cache)
    assert 6 <= finished < 24, "the run was killed mid-way"
    assert not (isolated_workspace / "datasets" / "crash").exists()

    stub.latency = 0.0
    stub.reset()
    code, result, err = _run(*args)
    assert code == 0, err
    assert stub.count("/v1/chat/completions") == 24 - finished
    assert result["cached"] == finished and result["succeeded"] == 24


def test_cli_batch_api_collects_answers_by_custom_id(stub: OpenAIStub, tmp_path: Path) -> None:
    stub.on("Paper1:", Fail(500))
    stub.on("Paper2:", Reply('{"words": ["wrong key"]}'))
    source = _abstracts(tmp_path / "papers.jsonl", 4)

    def batch_run(out: str) -> dict:
        code, result, err = _run("generate", "--task", "keywords", "--source", str(source), "--out", out,
                                 "--base-url", stub.base_url, "--batch-api", "--batch-poll-s", "0.05",
                                 "--json")
        assert code == 0, err
        return result

    result = batch_run("viabatch")
    assert (result["succeeded"], result["failed"]) == (2, 2)
    assert stub.count("/v1/files") == 1 and stub.count("/v1/batches") == 1
    assert stub.count("/v1/chat/completions") == 0
    uploaded = next(r.body for r in stub.requests if r.path == "/v1/files")
    lines = [json.loads(line) for line in uploaded["files"]["file"].splitlines()]
    assert len({line["custom_id"] for line in lines}) == 4 and lines[0]["url"] == "/v1/chat/completions"

    # A rerun sends only the two that failed (a server error, an answer that failed its checks).
    stub.reset()
    result = batch_run("viabatch-again")
    assert (result["succeeded"], result["failed"], result["cached"]) == (4, 0, 2)
    uploaded = next(r.body for r in stub.requests if r.path == "/v1/files")
    sent = uploaded["files"]["file"]
    assert len(sent.splitlines()) == 2 and "Paper1:" in sent and "Paper2:" in sent


def test_import_cli_converts_camel_rows(tmp_path: Path) -> None:
    path = tmp_path / "camel.jsonl"
    path.write_text(
        json.dumps({"message_1": "What is pH 7?", "message_2": "Neutral."}) + "\n", encoding="utf-8"
    )
    code, result, err = _run("import", str(path), "--format", "camel", "--out", "camel", "--json")
    assert code == 0, err
    assert result["imported"] == 1


def test_generate_job_gets_the_key_from_its_environment_only(
    stub: OpenAIStub, tmp_path: Path, isolated_workspace: Path
) -> None:
    stub.latency = 0.05
    source = _abstracts(tmp_path / "papers.jsonl", 8)
    config = GenerateConfig(task="keywords", base_url=stub.base_url, concurrency=2, out="from-job",
                            source=str(source), text_column="abstract")
    run = generate_job.start(config, api_key=KEY)
    status = jobs.wait(run, timeout=90)
    assert status["status"] == "done", run.log_tail()
    assert status["result"]["succeeded"] == 8
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in stub.requests)
    events, _ = run.read_events()
    progress = [e for e in events if e.get("type") == "progress"]
    assert progress[-1]["done"] == 8 and "succeeded" in progress[-1]
    assert "from-job" in {d["name"] for d in list_datasets()}
    assert "api_key" not in run.config_file.read_text() and _no_key_in(isolated_workspace) == []


def test_a_generate_job_config_repeats_it_from_the_cli(
        stub: OpenAIStub, tmp_path: Path, isolated_workspace: Path) -> None:
    source = _abstracts(tmp_path / "papers.jsonl", 3)
    config = GenerateConfig(task="keywords", base_url=stub.base_url, concurrency=2, out="first",
                            source=str(source), text_column="abstract", temperature=0.3, max_tokens=300)
    run = generate_job.start(config, api_key=KEY)
    assert jobs.wait(run, timeout=90)["status"] == "done", run.log_tail()
    saved = workspace.read_yaml(run.config_file)
    assert set(saved) == {"kind", *GenerateConfig.model_fields}
    sent = stub.count("/v1/chat/completions")
    code, result, err = _run("generate", "--config", str(run.config_file), "--out", "again", "--json")
    assert code == 0, err
    # The same requests (model, messages, temperature, max_tokens): every answer comes from the cache.
    assert result["succeeded"] == 3 and result["cached"] == 3
    assert stub.count("/v1/chat/completions") == sent


def test_stopping_a_generate_job_saves_nothing_but_keeps_the_answers_for_a_rerun(
        stub: OpenAIStub, tmp_path: Path, isolated_workspace: Path) -> None:
    stub.latency = 0.2
    source = _abstracts(tmp_path / "papers.jsonl", 30)
    config = GenerateConfig(task="keywords", base_url=stub.base_url, concurrency=2, out="stopped",
                            source=str(source), text_column="abstract")
    run = generate_job.start(config, api_key=KEY)
    cache = ResponseCache(isolated_workspace / "cache" / "llm")
    deadline = time.monotonic() + 30
    while len(cache) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    jobs.abort(run.run_id)
    status = jobs.wait(run, timeout=30)
    assert status["status"] == "aborted"
    assert not (isolated_workspace / "datasets" / "stopped").exists()
    assert 3 <= len(cache) < 30


def test_a_failed_job_records_its_error_without_the_key(
        stub: OpenAIStub, tmp_path: Path, isolated_workspace: Path) -> None:
    stub.on(lambda body: True, *[Fail(401, message=f"Incorrect API key provided: {KEY}")] * 20)
    source = _abstracts(tmp_path / "papers.jsonl", 4)
    config = GenerateConfig(task="keywords", base_url=stub.base_url, concurrency=2, out="refused",
                            source=str(source), text_column="abstract")
    run = generate_job.start(config, api_key=KEY)
    status = jobs.wait(run, timeout=60)
    assert status["status"] == "failed"
    assert "HTTP 401: Incorrect API key provided: ***" in status["error"]
    assert _no_key_in(isolated_workspace) == []
