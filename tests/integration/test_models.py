"""Model presets, the offline tiny model and the one loading function."""

import hashlib
import json
import subprocess
import sys

import pytest
import torch

from chemtune import models
from chemtune.errors import ChemtuneError


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_in(home, monkeypatch):
    monkeypatch.setenv("CHEMTUNE_HOME", str(home))
    return models.build_tiny()


def test_tiny_builds_byte_identical_files_in_two_workspaces(tmp_path, monkeypatch):
    first = build_in(tmp_path / "a", monkeypatch)
    second = build_in(tmp_path / "b", monkeypatch)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert "model.safetensors" in names and "tokenizer.json" in names
    for name in names:
        assert digest(first / name) == digest(second / name), name


def test_tiny_is_a_small_llama_with_a_chat_template():
    model, tokenizer = models.load_model("tiny")
    assert model.config.model_type == "llama"
    assert 1_000_000 < model.num_parameters() < 10_000_000
    assert tokenizer.chat_template
    assert model.dtype == torch.float32 and model.device.type == "cpu"


@pytest.mark.parametrize("text", [
    "백금 촉매의 전기화학적 활성 표면적(ECSA)은 무엇인가요?",
    "The anion-exchange membrane reached 120 mS/cm at 80 °C.",
    "Ünïcödé ∆G° = −RT ln K; 화학 ✓ 🧪",
])
def test_tiny_tokenizer_round_trips_korean_and_english_without_unknown_tokens(text):
    tokenizer = models.load_tokenizer("tiny")
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id is None or tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == text


def test_tiny_generates_text_for_a_korean_prompt():
    model, tokenizer = models.load_model("tiny")
    text = tokenizer.apply_chat_template([{"role": "user", "content": "촉매란 무엇인가요?"}],
                                         tokenize=False, add_generation_prompt=True)
    inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    out = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    new_tokens = out[0, inputs["input_ids"].shape[1]:]
    assert len(new_tokens) > 0
    assert isinstance(tokenizer.decode(new_tokens), str)


def test_models_cli_lists_presets_and_builds_tiny(tmp_path):
    env_home = str(tmp_path / "cli-home")
    env = {"CHEMTUNE_HOME": env_home, "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    listed = subprocess.run([sys.executable, "-m", "chemtune", "models", "--json"],
                            capture_output=True, text=True, env=env, check=True)
    rows = {row["name"]: row for row in json.loads(listed.stdout.strip().splitlines()[-1])["models"]}
    assert {"llama-2-7b", "llama-2-7b-chat", "llama-2-13b", "llama-2-13b-chat", "tiny"} <= set(rows)
    assert rows["llama-2-7b"]["hub_id"] == "meta-llama/Llama-2-7b-hf" and rows["llama-2-7b"]["kind"] == "base"
    # Built from code on first use, so usable offline before and after; "source" says which.
    assert rows["tiny"]["available"] is True and rows["tiny"]["offline"]["source"] == "code"
    built = subprocess.run([sys.executable, "-m", "chemtune", "models", "build", "tiny", "--json"],
                           capture_output=True, text=True, env=env, check=True)
    result = json.loads(built.stdout.strip().splitlines()[-1])
    assert result["path"] == f"{env_home}/models/tiny"
    again = subprocess.run([sys.executable, "-m", "chemtune", "models", "--json"],
                           capture_output=True, text=True, env=env, check=True)
    rows = {row["name"]: row for row in json.loads(again.stdout.strip().splitlines()[-1])["models"]}
    assert rows["tiny"]["available"] is True and rows["tiny"]["offline"]["source"] == "built"


def test_an_unreachable_hub_model_gives_one_clear_sentence(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ChemtuneError) as info:
        models.load_model("llama-2-7b")
    message = str(info.value)
    assert message.startswith("Cannot load model 'llama-2-7b'")
    assert "\n" not in message and "Traceback" not in message


def test_a_model_needing_remote_code_is_refused_unless_trusted():
    with pytest.raises(ChemtuneError, match="trust remote code"):
        models.load_model("exaone-3.5-7.8b-instruct")


@pytest.mark.parametrize("spec, fragment", [
    ("", "No model given"),
    ("./no/such/folder", "neither a preset"),
])
def test_bad_model_specs_are_explained(spec, fragment):
    with pytest.raises(ChemtuneError, match=fragment):
        models.resolve(spec)


def test_a_folder_without_config_is_not_a_model(tmp_path):
    with pytest.raises(ChemtuneError, match="no config.json"):
        models.resolve(str(tmp_path))


def test_pickled_weights_are_never_loaded(tmp_path):
    source = models.build_tiny()
    copy = tmp_path / "pickled"
    model, tokenizer = models.load_model(str(source))
    model.save_pretrained(copy)
    tokenizer.save_pretrained(copy)
    # the same weights as a pickled checkpoint only
    torch.save(model.state_dict(), copy / "pytorch_model.bin")
    (copy / "model.safetensors").unlink()
    with pytest.raises(ChemtuneError, match="safetensors"):
        models.load_model(str(copy))


def test_a_local_folder_loads_with_a_peft_adapter(tmp_path):
    from peft import LoraConfig, get_peft_model

    base, tokenizer = models.load_model("tiny")
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    peft_model.save_pretrained(tmp_path / "adapter")
    model, _ = models.load_model(str(models.build_tiny()), adapters=str(tmp_path / "adapter"))
    assert hasattr(model, "peft_config") and model.active_adapter == "default"
    with pytest.raises(ChemtuneError, match="not a PEFT adapter"):
        models.load_model("tiny", adapters=str(tmp_path))
