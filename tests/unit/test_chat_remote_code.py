"""Models that ship their own code (EXAONE): chat and serve load them only when remote code is trusted,
from the engine, `chemtune chat` / `serve`, the Chat tab and the app's CHEMTUNE_SERVE_* settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.chat.engine import ChatEngine, Settings
from chemtune.errors import ChemtuneError
from tests.support.chat_models import remote_code_model

ASK = [{"role": "user", "content": "촉매란?"}]


@pytest.fixture
def custom(isolated_workspace: Path, tmp_path: Path) -> Path:
    return remote_code_model(tmp_path / "custom-code-model")


def test_the_engine_loads_a_custom_code_model_only_when_trusted(custom: Path) -> None:
    with pytest.raises(ChemtuneError, match="trust remote code"):
        ChatEngine().load(str(custom), device="cpu")
    engine = ChatEngine().load(str(custom), device="cpu", trust_remote_code=True)
    assert type(engine.model).__name__ == "ChemForCausalLM"
    assert engine.generate(ASK, None, Settings(max_new_tokens=3)).tokens == 3


def test_cli_chat_takes_trust_remote_code(custom: Path, capsys: pytest.CaptureFixture) -> None:
    from chemtune.cli import main

    assert main(["chat", "--model", str(custom), "--prompt", "hi", "--json"]) == 1
    assert "trust remote code" in capsys.readouterr().err
    assert main(["chat", "--model", str(custom), "--prompt", "hi", "--max-new-tokens", "3", "--json",
                 "--trust-remote-code"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["tokens"] == 3


def test_serve_parses_trust_remote_code() -> None:
    import argparse

    from chemtune.chat import commands

    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    assert parser.parse_args(["serve", "--model", "m", "--trust-remote-code"]).trust_remote_code
    assert not parser.parse_args(["serve", "--model", "m"]).trust_remote_code


def test_the_chat_tab_and_the_app_settings_load_a_trusted_custom_code_model(
        custom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chemtune.chat import engine as engine_module
    from chemtune.chat.server import api_from_env
    from pages import chat

    monkeypatch.setattr(engine_module, "_SHARED", None)
    form = {"base": str(custom), "adapter": "", "trust": False, "lang": "en"}
    with pytest.raises(Exception, match="trust remote code"):
        chat.load(form)
    active, status = chat.load(form | {"trust": True})
    assert active == str(custom) and "Loaded" in status

    monkeypatch.setattr(engine_module, "_SHARED", None)
    with pytest.raises(ChemtuneError, match="CHEMTUNE_SERVE_TRUST_REMOTE_CODE"):
        api_from_env({"CHEMTUNE_SERVE_MODEL": str(custom), "CHEMTUNE_SERVE_TRUST_REMOTE_CODE": "maybe"})
    api_from_env({"CHEMTUNE_SERVE_MODEL": str(custom), "CHEMTUNE_SERVE_TRUST_REMOTE_CODE": "1"})
    assert type(engine_module.shared_engine().model).__name__ == "ChemForCausalLM"
