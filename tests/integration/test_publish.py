"""Publishing a real tiny LoRA run to a local stand-in for the Hub (tests/support/hub_standin.py) through
huggingface_hub's own requests: the CLI and the library, the model card with its model-index, the token
kept out of every file, and the adapter downloaded back loading with plain PEFT to the same answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chemtune import jobs, models, records
from tests.support.hub_standin import HubStandIn

REPO = Path(__file__).resolve().parents[2]
TOKEN = "hf_standin_token_0123456789"
PROMPT = "황산의 화학식은 무엇인가요?"
ROWS = ([{"task": "qa", "instruction": f"What is the formula of compound {i}?", "output": f"C{i}H{2 * i + 2}"}
         for i in range(1, 5)]
        + [{"task": "explain", "instruction": f"{name}의 화학식은?", "output": f"{name}의 화학식은 {formula}"}
           for name, formula in [("황산", "H2SO4"), ("염산", "HCl"), ("암모니아", "NH3"), ("메탄", "CH4")]])
FAST = {"model": "tiny", "data": ["chem-mini"], "max_steps": 2, "batch_size": 2, "grad_accum": 1,
        "max_length": 96, "learning_rate": 1e-2, "val_split": 0.25, "eval_steps": 1, "save_steps": 100}


def trained_run(home: Path, extra: dict | None = None) -> str:
    """A real two-step LoRA run on the tiny model (through the train job), in workspace `home`."""
    from chemtune.train import job

    models.build_tiny()
    records.save_dataset("chem-mini", ROWS)
    run = job.start({**FAST, **(extra or {})})
    status = jobs.wait(run, timeout=600)
    assert status["status"] == "done", (status, run.log_tail())
    return run.run_id


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """One trained run and one finished evaluation of its adapter, for the module's tests."""
    home = tmp_path_factory.mktemp("publish") / "chemtune-home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(home))
        mp.setenv("HF_HUB_OFFLINE", "1")
        run_id = trained_run(home)
        from chemtune.evaluate.job import check_config

        ev = jobs.start_job("eval", check_config({"model": "tiny", "adapter": run_id, "benchmark": "sample",
                                                  "limit": 1, "method": "loglik"}))
        status = jobs.wait(ev, timeout=600)
        assert status["status"] == "done", (status, ev.log_tail())
        yield {"home": home, "run_id": run_id, "eval_id": ev.run_id}


@pytest.fixture
def workspace_of(shared: dict, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("CHEMTUNE_HOME", str(shared["home"]))
    return shared


@pytest.fixture
def hub() -> Iterator[HubStandIn]:
    with HubStandIn(TOKEN) as server:
        yield server


def online(monkeypatch: pytest.MonkeyPatch, hub: HubStandIn) -> None:
    """This process talks to the stand-in: Hub access on, huggingface_hub pointed at it."""
    from huggingface_hub import constants

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)


def cli(args: list[str], home: Path, hub: HubStandIn,
        token: str | None = TOKEN) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                                                            "HF_TOKEN")}
    env |= {"CHEMTUNE_HOME": str(home), "HF_ENDPOINT": hub.url, "NO_PROXY": "127.0.0.1"}
    if token:
        env["HF_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "chemtune", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def greedy(model, tokenizer) -> list[int]:
    import torch

    from chemtune import prompting

    prompt = prompting.render_messages(tokenizer, [{"role": "user", "content": PROMPT}])
    ids = torch.tensor([prompting.tokenize_prompt(tokenizer, prompt)])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=12,
                             do_sample=False)
    return out[0, ids.shape[1]:].tolist()


def files_containing(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_cli_publishes_the_adapter_with_its_card_and_it_loads_back_with_plain_peft(
        workspace_of: dict, hub: HubStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home, run_id, eval_id = workspace_of["home"], workspace_of["run_id"], workspace_of["eval_id"]
    done = cli(["publish", run_id, "--repo", "chem-lab/chem-tiny-lora", "--private", "--json"], home, hub)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["repo"] == "chem-lab/chem-tiny-lora" and result["evaluations"] == [eval_id]
    repo = hub.repos["chem-lab/chem-tiny-lora"]
    assert repo.private and len(repo.commits) == 1
    assert sorted(repo.files) == ["README.md", "adapter_config.json", "adapter_model.safetensors", "loss.png"]
    assert repo.files["loss.png"].startswith(b"\x89PNG")

    readme = repo.files["README.md"].decode("utf-8")
    assert "| `chem-mini` | 1 | 8 | qa 4, explain 4 | en 4, ko 4 |" in readme
    assert "| `learning_rate` | `0.01` |" in readme and "| `max_steps` | `2` |" in readme
    assert "![training loss](loss.png)" in readme and f"run `{run_id}`" in readme
    from chemtune.evaluate.job import load_results

    scores = load_results(eval_id)["average"]
    assert f"{100 * scores['macro_f1']:.1f}" in readme and f"`{eval_id}`" in readme
    adapter_config = json.loads(repo.files["adapter_config.json"])
    assert adapter_config["base_model_name_or_path"] == "tiny"  # no local path leaves the machine

    # The token was used (the stand-in refuses writes without it) and is in no file, here or there.
    assert any(h.get("authorization") == f"Bearer {TOKEN}" for m, p, h in hub.requests if m == "POST")
    assert files_containing(home, TOKEN) == []
    assert not any(TOKEN.encode() in data for data in repo.files.values())
    assert TOKEN not in done.stdout + done.stderr

    online(monkeypatch, hub)
    from huggingface_hub import HfApi, snapshot_download

    info = HfApi(endpoint=hub.url, token=TOKEN).model_info("chem-lab/chem-tiny-lora")
    f1 = [r for r in info.card_data.eval_results if r.metric_type == "f1"]
    assert [round(r.metric_value, 4) for r in f1] == [round(scores["macro_f1"], 4)]
    assert f1[0].dataset_type == "sample" and f1[0].metric_args == {"eval_id": eval_id}
    folder = snapshot_download("chem-lab/chem-tiny-lora", endpoint=hub.url, token=TOKEN,
                               cache_dir=str(tmp_path / "hf-cache"))

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    source, _ = models.resolve("tiny")
    plain = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(source), folder).eval()
    adapter = str(home / "runs" / run_id / "adapter")
    ours, tokenizer = models.load_model("tiny", adapters=adapter, device="cpu")
    assert greedy(plain, tokenizer) == greedy(ours, tokenizer)


def test_publish_without_a_token_or_with_a_wrong_one_says_what_to_do(
        workspace_of: dict, hub: HubStandIn) -> None:
    home, run_id = workspace_of["home"], workspace_of["run_id"]
    done = cli(["publish", run_id, "--repo", "chem-lab/x"], home, hub, token=None)
    assert done.returncode == 1 and "HF_TOKEN" in done.stderr
    done = cli(["publish", run_id, "--repo", "chem-lab/x"], home, hub, token="hf_wrong_token")
    assert done.returncode == 1 and "refused the token" in done.stderr and "hf_wrong_token" not in done.stderr
    done = cli(["publish", run_id, "--repo", "not a repo"], home, hub)
    assert done.returncode == 1 and "ORG/NAME" in done.stderr
    assert hub.repos == {}


def test_publish_merged_uploads_a_standalone_model(workspace_of: dict, hub: HubStandIn,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from chemtune.share.config import make_publish
    from chemtune.share.hub import publish

    online(monkeypatch, hub)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    options = make_publish({"repo": "chem-lab/chem-tiny-merged", "merged": True})
    result = publish(workspace_of["run_id"], options)
    files = hub.repos["chem-lab/chem-tiny-merged"].files
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md", "loss.png"} <= set(files)
    assert "adapter_config.json" not in files and result["merged"] is True
    assert "library_name: transformers" in files["README.md"].decode()


def test_train_tab_publishes_and_exports_as_jobs_with_the_typed_token_kept_out_of_files(
        workspace_of: dict, hub: HubStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import train_publish

    online(monkeypatch, hub)  # the job processes inherit the stand-in's address
    monkeypatch.delenv("HF_TOKEN", raising=False)
    home, run_id = workspace_of["home"], workspace_of["run_id"]
    form = {"run": run_id, "repo": "chem-lab/from-the-page", "merged": False, "private": True,
            "token": TOKEN, "lang": "ko"}
    lines = list(train_publish.publish_run(form))
    assert lines[-1].startswith("✅") and "chem-lab/from-the-page" in lines[-1], lines
    assert hub.repos["chem-lab/from-the-page"].private
    job = next(r for r in jobs.list_runs(kind="publish"))
    assert job["status"] == "done" and jobs.RunFolder(Path(job["run_dir"])).config()["repo"] == \
        "chem-lab/from-the-page"
    assert files_containing(home, TOKEN) == []

    refused = list(train_publish.publish_run(form | {"token": "", "repo": "chem-lab/other"}))
    assert refused == ["⚠️ 게시하려면 쓰기 권한이 있는 Hugging Face 토큰이 필요합니다. HF_TOKEN을 설정하거나 "
                       "토큰 칸에 붙여 넣으세요(저장되지 않습니다)."]

    outputs = list(train_publish.export_run({"run": run_id, "format": "merged", "lang": "en"}))
    message, files = outputs[-1]
    assert message.startswith("✅ Exported") and "`model.safetensors`" in message
    assert any(path.endswith("/export/" + run_id + "-merged/config.json") for path in files["value"])

    # A page opened later (a refresh, an app restart) shows the run's newest publish and export again.
    published, exported, shown = list(train_publish.reattach({"run": run_id, "lang": "ko"}))[-1]
    assert published == lines[-1] and exported.startswith("✅")
    assert shown["value"] == files["value"]
    assert list(train_publish.reattach({"run": "", "lang": "en"}))[-1][:2] == ("", "")
