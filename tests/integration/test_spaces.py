"""chemtune on a Hugging Face Space, simulated: SPACE_ID set and the persistent-storage root moved to a
temporary folder ($CHEMTUNE_SPACE_DATA). The workspace lands in storage when it is there, the app's
footer warns (in English and Korean) when it is not, secrets are never shown, and the Train tab's
estimate warns before a CPU run of hours."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chemtune import workspace
from tests.conftest import OFFLINE, _free_port, _http_ok

REPO = Path(__file__).resolve().parents[2]
SECRETS = {"HF_TOKEN": "hf_space_secret_value_42", "OPENAI_API_KEY": "sk-space-secret-value-42"}


@pytest.fixture
def space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A simulated Space: SPACE_ID set, no CHEMTUNE_HOME, storage root in a temporary folder."""
    data = tmp_path / "data"
    monkeypatch.setenv("SPACE_ID", "chem-lab/chemtune")
    monkeypatch.setenv("CHEMTUNE_SPACE_DATA", str(data))
    monkeypatch.delenv("CHEMTUNE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    return data


def test_workspace_defaults_to_persistent_storage_when_a_space_has_it(space: Path, tmp_path: Path) -> None:
    space.mkdir()
    assert workspace.home() == (space / "chemtune").resolve()
    assert (space / "chemtune" / "runs").is_dir() and not workspace.lost_on_restart()


def test_without_storage_the_workspace_is_local_and_flagged(space: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert workspace.home() == (tmp_path / "workspace").resolve() and workspace.lost_on_restart()
    space.write_text("not a mount")  # something that is not a folder is no storage either
    assert workspace.persistent_storage() is None and workspace.lost_on_restart()
    space.unlink()
    space.mkdir()
    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path / "elsewhere"))  # storage there, workspace not in it
    assert workspace.lost_on_restart()
    monkeypatch.setenv("CHEMTUNE_HOME", str(space / "mine"))
    assert not workspace.lost_on_restart()
    monkeypatch.delenv("SPACE_ID")
    monkeypatch.delenv("CHEMTUNE_HOME")
    assert workspace.home() == (tmp_path / "workspace").resolve() and not workspace.lost_on_restart()


def test_the_train_estimate_warns_before_a_cpu_run_of_hours(space: Path) -> None:
    from chemtune.train import config
    from pages import train

    space.mkdir()
    form = {name: spec.default for name, spec in config.fields().items()} | {
        "model": "tiny", "data": ["sample"], "max_steps": 2_000_000, "lang": "ko"}
    korean = train.show_estimate(form)
    assert "CPU에서 약" in korean and "Space" in korean
    english = train.show_estimate(form | {"lang": "en"})
    assert "on the CPU" in english and "this Space runs on CPU hardware" in english
    assert "on the CPU" not in train.show_estimate(form | {"lang": "en", "max_steps": 1})


@contextlib.contextmanager
def space_app(tmp_path: Path, data: Path, lang: str) -> Iterator[str]:
    """`python app.py` as a Space starts it: SPACE_ID and secrets set, CHEMTUNE_HOME not."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "CHEMTUNE_HOME"} | OFFLINE | SECRETS | {
        "SPACE_ID": "chem-lab/chemtune", "CHEMTUNE_SPACE_DATA": str(data), "CHEMTUNE_LANG": lang,
        "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "NO_PROXY": "127.0.0.1"}
    logs = tmp_path / f"app-{lang}.log"
    with open(logs, "wb") as log:
        process = subprocess.Popen([sys.executable, str(REPO / "app.py")], cwd=tmp_path, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while not _http_ok(url):
            assert process.poll() is None, logs.read_text(errors="replace")
            assert time.monotonic() < deadline, logs.read_text(errors="replace")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def page_text(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "config", timeout=20) as response:
        config = response.read().decode("utf-8")
    with opener.open(url, timeout=20) as response:
        return config + response.read().decode("utf-8")


def test_app_on_a_space_keeps_its_workspace_in_storage_and_shows_no_secret(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with space_app(tmp_path, data, "en") as url:
        text = page_text(url)
    assert str(data / "chemtune") in text
    assert "HF_TOKEN ✓" in text and "OPENAI_API_KEY ✓" in text
    assert "loses its workspace" not in text
    for value in SECRETS.values():
        assert value not in text
    assert (data / "chemtune" / "runs").is_dir()


def test_app_on_a_space_without_storage_warns_in_korean(tmp_path: Path) -> None:
    with space_app(tmp_path, tmp_path / "no-storage", "ko") as url:
        text = page_text(url)
    assert "이 Space는 다시 시작할 때마다 작업 폴더를 잃습니다" in text
    assert str(tmp_path / "workspace") in text
    for value in SECRETS.values():
        assert value not in text
