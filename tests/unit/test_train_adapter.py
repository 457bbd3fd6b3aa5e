"""What a run leaves behind: the adapter's README, resumable checkpoints, and the merged export."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune import models
from chemtune.train import checkpoint
from chemtune.train.config import make_config


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(models.build_tiny(tmp_path_factory.mktemp("models") / "tiny"))


def lora_model(tiny_path: str):
    import torch
    from peft import LoraConfig, get_peft_model

    model, _ = models.load_model(tiny_path)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    with torch.no_grad():  # a trained-looking adapter: B is zero at initialisation
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    return peft_model


def test_merged_export_gives_the_same_outputs_as_base_plus_adapter(tiny_path: str, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    peft_model = lora_model(tiny_path)
    summary = {"status": "done", "steps": 3, "final_loss": 1.25, "train_tokens": 900}
    config = make_config({"model": tiny_path, "data": ["sample", "chem-ko:2"]}).model_dump(mode="json")
    readme_text = checkpoint.adapter_readme(config, tiny_path, summary)
    adapter = checkpoint.save_adapter(tmp_path, peft_model, peft_model.state_dict(), readme_text)
    readme = (adapter / "README.md").read_text()
    assert f"base_model: {tiny_path}" in readme and "`sample`, `chem-ko:2`" in readme
    assert "final training loss: 1.25" in readme and "| `lora_dropout` | `0.0` |" in readme

    merged = checkpoint.export_merged(tmp_path, tiny_path, adapter, "auto", False)
    assert (merged / "model.safetensors").exists() and (merged / "tokenizer.json").exists()
    ids = torch.tensor([[5, 17, 200, 31, 9]])
    with torch.no_grad():
        expected = peft_model.eval()(ids).logits
        got = AutoModelForCausalLM.from_pretrained(merged)(ids).logits
    assert torch.allclose(expected, got, atol=1e-4)


def trained_a_step(model):
    import torch

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    ids = torch.tensor([[5, 17, 200, 31, 9, 44]])
    model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return optimizer


def assert_same_training_state(model, optimizer, fresh, fresh_opt) -> None:
    import torch

    loaded = dict(fresh.named_parameters())
    assert all(torch.equal(p, loaded[n]) for n, p in model.named_parameters() if p.requires_grad)
    old, new = optimizer.state_dict(), fresh_opt.state_dict()
    assert len(new["state"]) == len(old["state"]) > 0
    for index, moments in old["state"].items():
        for key in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(moments[key], new["state"][index][key]), (index, key)


def test_checkpoints_round_trip_and_only_the_newest_are_kept(tiny_path: str, tmp_path: Path) -> None:
    import torch

    model = lora_model(tiny_path)
    optimizer = trained_a_step(model)
    for step in (2, 4, 6):
        weights, optimizer_state = checkpoint.gather_state(model, optimizer, sharded=False)
        checkpoint.save_checkpoint(tmp_path, model, weights, optimizer_state, {"step": step, "loss": 1.0},
                                   keep=2)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-0000004", "step-0000006"]
    latest = checkpoint.latest_checkpoint(tmp_path)
    (tmp_path / "checkpoints" / "step-0000008.writing").mkdir()  # a half-written one is never used
    assert checkpoint.latest_checkpoint(tmp_path) == latest

    fresh = lora_model(tiny_path)
    checkpoint.load_weights(latest, fresh)
    fresh_opt = torch.optim.AdamW([p for p in fresh.parameters() if p.requires_grad], lr=1e-3)
    state = checkpoint.load_training_state(latest, fresh, fresh_opt)
    assert state["step"] == 6
    assert_same_training_state(model, optimizer, fresh, fresh_opt)


def test_an_optimizer_state_saved_by_position_still_resumes(tiny_path: str, tmp_path: Path) -> None:
    import torch

    model = lora_model(tiny_path)
    optimizer = trained_a_step(model)
    weights, optimizer_state = checkpoint.gather_state(model, optimizer, sharded=False)
    saved = checkpoint.save_checkpoint(tmp_path, model, weights, optimizer_state, {"step": 1}, keep=2)
    torch.save(optimizer.state_dict(), saved / "optimizer.pt")  # keyed 0, 1, 2 … as plain torch saves it

    fresh = lora_model(tiny_path)
    checkpoint.load_weights(saved, fresh)
    fresh_opt = torch.optim.AdamW([p for p in fresh.parameters() if p.requires_grad], lr=1e-3)
    checkpoint.load_training_state(saved, fresh, fresh_opt)
    assert_same_training_state(model, optimizer, fresh, fresh_opt)


@pytest.mark.parametrize("name", ["cosine", "linear", "constant_with_warmup"])
def test_a_schedule_placed_at_a_step_trains_at_the_rate_it_would_have_reached(name: str) -> None:
    import torch
    from transformers import get_scheduler

    def plan(lr: float = 1e-3):
        optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=lr)
        return optimizer, get_scheduler(name, optimizer, num_warmup_steps=2, num_training_steps=10)

    stepped_opt, stepped = plan()
    for _ in range(5):
        stepped_opt.step()
        stepped.step()
    placed_opt, placed = plan()
    placed_opt.param_groups[0]["lr"] = 0.0  # what a finished run's optimizer state brings back
    rate = checkpoint.schedule_at(placed, 5)
    assert rate == stepped.get_last_lr()[0] == placed_opt.param_groups[0]["lr"] > 0
    for _ in range(4):  # and it goes on as the stepped one does
        for optimizer, scheduler in ((stepped_opt, stepped), (placed_opt, placed)):
            optimizer.step()
            scheduler.step()
        assert placed_opt.param_groups[0]["lr"] == pytest.approx(stepped_opt.param_groups[0]["lr"], rel=1e-12)
