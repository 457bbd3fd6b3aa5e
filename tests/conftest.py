"""Shared fixtures: an isolated, offline workspace for every test; the app in a subprocess; a browser."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}
APP_START_TIMEOUT_S = 60


@pytest.fixture(autouse=True)
def isolated_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty $CHEMTUNE_HOME and no network access to model hubs."""
    home = tmp_path / "chemtune-home"
    monkeypatch.setenv("CHEMTUNE_HOME", str(home))
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CHEMTUNE_AUTH", raising=False)
    monkeypatch.delenv("CHEMTUNE_LANG", raising=False)
    return home


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    return _free_port()


def _http_ok(url: str) -> bool:
    # No proxies: the app is on 127.0.0.1, and a proxy from the environment would never reach it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def app_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The $CHEMTUNE_HOME of the module's `app_server` (shared by the tests of one module)."""
    return tmp_path_factory.mktemp("app") / "chemtune-home"


@contextlib.contextmanager
def running_app(home: Path, logs: Path) -> Iterator[str]:
    """`python app.py` on a free 127.0.0.1 port with workspace `home`; yields the URL once it serves and
    stops the app (as Ctrl+C or a Space restart would) when the block ends."""
    port = _free_port()
    env = (
        os.environ
        | OFFLINE
        | {
            "CHEMTUNE_HOME": str(home),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(port),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name in ("CHEMTUNE_AUTH", "CHEMTUNE_LANG"):
        env.pop(name, None)
    logs.mkdir(parents=True, exist_ok=True)
    # Output goes to files, not pipes: a pipe nobody reads fills up and blocks the server.
    with open(logs / "stdout.txt", "ab") as out, open(logs / "stderr.txt", "ab") as err:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=err)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + APP_START_TIMEOUT_S
        while not _http_ok(url):
            if process.poll() is not None:
                stderr = (logs / "stderr.txt").read_text(errors="replace")
                pytest.fail(f"app.py exited with code {process.returncode} before serving:\n{stderr}")
            if time.monotonic() > deadline:
                stderr = (logs / "stderr.txt").read_text(errors="replace")
                pytest.fail(f"app.py did not serve {url} within {APP_START_TIMEOUT_S} s:\n{stderr}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def app_server(app_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python app.py` on a free 127.0.0.1 port with its own workspace; yields the URL once it serves."""
    with running_app(app_home, tmp_path_factory.mktemp("app-logs")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session (Debian's /usr/bin/chromium; Playwright's download is unused)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser) -> Iterator[object]:
    """A fresh page (own cookies and storage) in the session's Chromium, 1280×900, 15 s default timeout."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """SmolLM2-135M-Instruct (a real English chat model) as a model folder; skipped without its package."""
    from tests.support.real_models import SMOLLM2, real_model

    return real_model(SMOLLM2)


@pytest.fixture(scope="session")
def gemma3() -> Path:
    """Gemma 3 270M base (real, multilingual, no chat template) as a model folder; skipped without it."""
    from tests.support.real_models import GEMMA, real_model

    return real_model(GEMMA)


def pytest_report_header(config: pytest.Config) -> str:
    return f"chromium: {CHROMIUM if shutil.which(str(CHROMIUM)) else 'missing (browser tests skip)'}"
