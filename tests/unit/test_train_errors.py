"""Bad training input gives one clear message each, before any job starts (CLI and library alike)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune import cli, jobs, models, records
from chemtune.errors import ChemtuneError
from chemtune.train import estimate, job


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(models.build_tiny(tmp_path_factory.mktemp("models") / "tiny"))


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    code = cli.main(["train", *argv])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(("argv", "message"), [
    (["--data", "no-such-set"], "error: No dataset named 'no-such-set'. Available: sample"),
    (["--data", "empty"], "error: Dataset 'empty' has no records"),
    (["--qlora"], "error: 4-bit QLoRA needs a CUDA GPU"),
    (["--model", "nobody/no-such-model"], "error: Cannot load model 'nobody/no-such-model': it is not in "
                                          "the local cache and the Hugging Face Hub cannot be reached"),
    (["--qlora", "--num-processes", "2", "--distributed", "fsdp"], "error: FSDP cannot shard a 4-bit QLoRA "
                                                                   "model; choose ddp"),
    (["--precision", "fp16", "--num-processes", "2", "--distributed", "fsdp"],
     "error: FSDP trains in bf16 or fp32, and fp16 was chosen"),
    (["--report-to", "wandb"], "error: Reporting to wandb needs its package: pip install wandb"),
    (["--epochs", "0"], "error: training options: Epochs (epochs): Input should be greater than 0"),
    (["--resume", "train-nothing"], "error: No run named 'train-nothing'"),
])
def test_bad_input_is_one_clear_line_and_starts_no_job(capsys, monkeypatch, tiny_path: str,
                                                       isolated_workspace: Path, argv: list[str],
                                                       message: str) -> None:
    import huggingface_hub.constants
    import torch

    # The Hub reads HF_HUB_OFFLINE once, at import: an earlier import must not make this wait on the network.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)

    if argv == ["--qlora"] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so QLoRA is allowed")
    folder = isolated_workspace / "datasets" / "empty"
    folder.mkdir(parents=True)
    (folder / "records.jsonl").write_text("")
    model = [] if "--model" in argv else ["--model", tiny_path]
    code, err = run_cli(capsys, *model, *argv)
    assert code == 1
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1 or err.count("error:") == 1
    assert jobs.list_runs(kind="train") == []


def test_unloadable_local_model_folder_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(ChemtuneError, match="Cannot load model"):
        job.start({"model": str(broken), "data": ["sample"]})


def test_estimate_counts_records_longer_than_the_max_length(tiny_path: str) -> None:
    rows = [{"instruction": f"Name compound {i}.", "output": "Ethanol." if i % 3 else "Ethanol. " * 300}
            for i in range(9)]
    records.save_dataset("long", rows)
    est = estimate.estimate({"model": tiny_path, "data": ["long"], "max_length": 128, "val_split": 0,
                             "overlong": "drop", "batch_size": 2, "epochs": 2})
    assert est["dropped"] == 3 and est["train_examples"] == 6
    # 3 batches of 2 per epoch and 4 batches per step (grad_accum): 2 epochs are 1.5 → 2 steps.
    assert (est["micro_batches_per_epoch"], est["steps"]) == (3, 2)
    assert "3 examples longer than 128 tokens were dropped" in estimate.summary_text(est)
    assert est["seconds"] > 0 and est["run_tokens"] > 0


def test_a_refused_option_is_named_in_korean_too() -> None:
    from chemtune.train.config import make_config

    with pytest.raises(ChemtuneError) as raised:
        make_config({"model": "tiny", "data": ["sample"], "max_steps": -3, "precision": "fp8"})
    assert "Max steps (max_steps): Input should be greater than or equal to 0" in str(raised.value)
    korean = raised.value.text("ko")
    assert "최대 스텝 (max_steps): 0 이상이어야 합니다" in korean
    assert "정밀도 (precision): 다음 중 하나여야 합니다: 'auto', 'bf16', 'fp16', 'fp32'" in korean
