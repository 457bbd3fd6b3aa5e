"""`python -m chemtune serve` and `python -m chemtune chat` as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.chat_models import finished_train_run, misfit_lora, random_lora


def env_for(home: Path) -> dict[str, str]:
    return os.environ | {"CHEMTUNE_HOME": str(home), "NO_PROXY": "127.0.0.1,localhost",
                         "PYTHONUNBUFFERED": "1"}


def test_serve_command_answers_the_openai_client_with_a_run_adapter(isolated_workspace: Path, free_port: int,
                                                                   tmp_path: Path) -> None:
    import openai

    from chemtune import models

    tiny = models.build_tiny()
    adapter = random_lora(tmp_path / "lora", seed=4, base=str(tiny))
    finished_train_run(isolated_workspace, "train-cli", adapter)
    out = tmp_path / "serve.out"
    with open(out, "wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "chemtune", "serve", "--model", "tiny", "--adapter", "chem=train-cli",
             "--port", str(free_port), "--api-key", "k1", "--log-level", "warning", "--json"],
            cwd=REPO, env=env_for(isolated_workspace), stdout=stdout, stderr=subprocess.STDOUT)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{free_port}/v1", api_key="k1", max_retries=0)
        deadline = time.monotonic() + 60
        while True:
            try:
                names = [m.id for m in client.models.list()]
                break
            except openai.APIConnectionError:
                assert process.poll() is None, out.read_text(errors="replace")
                assert time.monotonic() < deadline, "serve did not start in 60 s"
                time.sleep(0.2)
        assert names == ["tiny", "chem"]
        announced = json.loads([line for line in out.read_text().splitlines() if line.startswith("{")][0])
        assert announced == {"base_url": f"http://127.0.0.1:{free_port}/v1", "models": ["tiny", "chem"],
                             "auth": True}
        messages = [{"role": "user", "content": "산화 환원 반응을 설명하세요."}]
        tuned = client.chat.completions.create(model="chem", messages=messages, max_tokens=8)
        base = client.chat.completions.create(model="tiny", messages=messages, max_tokens=8)
        assert tuned.choices[0].message.content != base.choices[0].message.content
        assert tuned.usage.completion_tokens == 8
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_interactive_chat_streams_each_answer_with_its_speed(isolated_workspace: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chemtune", "chat", "--model", "tiny", "--max-new-tokens", "6",
         "--lang", "ko"],
        cwd=REPO, env=env_for(isolated_workspace), input="촉매란?\n/reset\n산이란?\n/exit\n",
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "chatting with tiny" in result.stderr
    assert result.stderr.count("6 tokens · first token") == 2
    assert len([line for line in result.stdout.splitlines() if line.startswith("> ")]) >= 1


def test_chat_against_a_missing_endpoint_is_one_clear_error(isolated_workspace: Path, free_port: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chemtune", "chat", "--endpoint", f"http://127.0.0.1:{free_port}/v1",
         "--model", "tiny", "--prompt", "hi", "--json"],
        cwd=REPO, env=env_for(isolated_workspace), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: Cannot reach http://127.0.0.1:{free_port}/v1")


@pytest.mark.parametrize("argv, message", [
    (["serve", "--model", "tiny", "--adapter", "/no/such/adapter"], "does not exist"),
    (["serve", "--model", "no-such-model"], "neither a preset"),
])
def test_serve_refuses_bad_models_and_adapters_before_listening(isolated_workspace: Path, argv: list,
                                                                message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "chemtune", *argv], cwd=REPO,
                            env=env_for(isolated_workspace), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and message in result.stderr


def test_serve_with_an_adapter_for_another_base_model_is_one_clear_error(isolated_workspace: Path,
                                                                        tmp_path: Path) -> None:
    from chemtune import models

    misfit = misfit_lora(tmp_path / "other-base", base=str(models.build_tiny()))
    result = subprocess.run([sys.executable, "-m", "chemtune", "serve", "--model", "tiny", "--adapter",
                             f"chem={misfit}"], cwd=REPO, env=env_for(isolated_workspace),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Adapter 'chem' was not loaded onto 'tiny'") and "does not fit" in last
