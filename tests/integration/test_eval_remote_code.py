"""trust_remote_code reaches the eval job's model loading: a folder that ships its own model code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.job import evaluate
from chemtune.models import build_tiny

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]

# A model type transformers does not know: only the folder's own code can build it.
CODE = '''
from transformers import LlamaConfig, LlamaForCausalLM


class ChemConfig(LlamaConfig):
    model_type = "chemtune_custom"


class ChemForCausalLM(LlamaForCausalLM):
    config_class = ChemConfig
'''


@pytest.fixture(scope="module")
def custom_code_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models") / "custom"
    shutil.copytree(build_tiny(folder.parent / "tiny"), folder)
    (folder / "chem_model.py").write_text(CODE)
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="chemtune_custom", architectures=["ChemForCausalLM"],
                  auto_map={"AutoConfig": "chem_model.ChemConfig",
                            "AutoModelForCausalLM": "chem_model.ChemForCausalLM"})
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_eval_of_a_model_with_its_own_code_runs_only_with_trust_remote_code(custom_code_model: Path) -> None:
    config = {"model": str(custom_code_model), "benchmark": "sample", "limit": 1}
    with pytest.raises(ChemtuneError, match="needs custom code from its repository"):
        evaluate(config, log=lambda _: None)
    results, rows = evaluate({**config, "trust_remote_code": True}, log=lambda _: None)
    assert results["average"]["n"] == len(rows) == 3 and all(row["pred"] in "ABCD" for row in rows)


def test_cli_eval_passes_trust_remote_code_to_the_job(custom_code_model: Path) -> None:
    command = [sys.executable, "-m", "chemtune", "eval", "--model", str(custom_code_model),
               "--benchmark", "sample", "--limit", "1", "--json"]
    refused = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "needs custom code" in refused.stderr
    done = subprocess.run([*command, "--trust-remote-code"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["average"]["n"] == 3 and summary["prompt_style"] == "chat"
    config = (Path(summary["results"]).parent / "config.yaml").read_text()
    assert "trust_remote_code: true" in config
