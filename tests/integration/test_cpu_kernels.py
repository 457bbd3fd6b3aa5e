"""Float32 products on oneDNN give the same outputs and LoRA gradients as PyTorch's MKL path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from chemtune import cpu_kernels
from chemtune.errors import ChemtuneError
from chemtune.evaluate.job import evaluate
from chemtune.models import build_tiny, load_for_inference, load_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("models") / "tiny")


def token_batch(rows: int = 3, length: int = 24) -> torch.Tensor:
    return torch.randint(5, 200, (rows, length), generator=torch.Generator().manual_seed(0))


def logits(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(input_ids=ids).logits


def linear_classes(model: nn.Module) -> set[str]:
    return {type(m).__name__ for m in model.modules() if isinstance(m, nn.Linear)}


def test_onednn_products_equal_mkl_ones_to_float32_rounding(tiny_path: Path) -> None:
    model, _ = load_model(str(tiny_path), device="cpu", dtype="fp32")
    ids = token_batch()
    keys = list(model.state_dict())
    plain = logits(model, ids)
    choice = cpu_kernels.use_fastest(model, "onednn")
    assert choice.library == "onednn"
    assert linear_classes(model) == {"OneDnnLinear"}
    fast = logits(model, ids)
    assert list(model.state_dict()) == keys
    torch.testing.assert_close(fast, plain, rtol=1e-4, atol=1e-4)
    assert torch.equal(fast.argmax(-1), plain.argmax(-1))

    assert cpu_kernels.use_fastest(model, "mkl").library == "mkl"
    assert linear_classes(model) == {"Linear"}
    assert torch.equal(logits(model, ids), plain)


def test_frozen_base_layers_give_lora_the_same_gradients(tiny_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    model, _ = load_model(str(tiny_path), device="cpu", dtype="fp32")
    torch.manual_seed(0)
    model = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"],
                                             init_lora_weights=False))
    ids = token_batch(2, 16)

    def loss_and_gradients() -> tuple[float, dict[str, torch.Tensor]]:
        model.zero_grad()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
        return float(loss.detach()), grads

    plain_loss, plain = loss_and_gradients()
    cpu_kernels.use_fastest(model, "onednn")
    frozen = [m for m in model.modules()
              if isinstance(m, cpu_kernels.OneDnnLinear) and not m.weight.requires_grad]
    assert frozen  # the base layers; the LoRA matrices are trained and keep PyTorch's path
    fast_loss, fast = loss_and_gradients()
    assert fast.keys() == plain.keys() and all("lora_" in name for name in fast)
    assert abs(fast_loss - plain_loss) < 1e-5
    for name in plain:
        torch.testing.assert_close(fast[name], plain[name], rtol=1e-3, atol=1e-6)


def test_trained_weights_keep_pytorchs_path(tiny_path: Path) -> None:
    model, _ = load_model(str(tiny_path), device="cpu", dtype="fp32")
    ids = token_batch(2, 16)

    def gradients() -> dict[str, torch.Tensor]:
        model.zero_grad()
        model(input_ids=ids, labels=ids).loss.backward()
        return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}

    before = gradients()
    cpu_kernels.use_fastest(model, "onednn")
    after = gradients()
    assert before.keys() == after.keys()
    for name in before:
        assert torch.equal(before[name], after[name]), name


def test_lora_adapters_wrap_onednn_layers_and_generate_alike(tiny_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    model, _ = load_model(str(tiny_path), device="cpu", dtype="fp32")
    cpu_kernels.use_fastest(model, "onednn")
    torch.manual_seed(0)
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, config).eval()
    ids = token_batch(1, 8)
    fast = peft_model.generate(input_ids=ids, max_new_tokens=6, do_sample=False)
    cpu_kernels.use_fastest(peft_model, "mkl")
    plain = peft_model.generate(input_ids=ids, max_new_tokens=6, do_sample=False)
    assert torch.equal(fast, plain)


def test_sixteen_bit_models_are_left_alone(tiny_path: Path) -> None:
    model, _ = load_model(str(tiny_path), device="cpu", dtype="bf16")
    assert cpu_kernels.use_fastest(model, "onednn") is None
    assert linear_classes(model) == {"Linear"}


def test_auto_times_both_and_uses_onednn_only_on_a_clear_win(tiny_path: Path) -> None:
    model, _ = load_model(str(tiny_path), device="cpu", dtype="fp32")
    choice = cpu_kernels.use_fastest(model, "auto")
    assert choice.speedup is not None and choice.speedup > 0
    assert choice.library == ("onednn" if choice.speedup >= cpu_kernels.CLEAR_WIN else "mkl")
    assert f"{choice.speedup:.2f}× MKL's speed" in choice.describe()


def test_an_unknown_choice_is_named(tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = load_model(str(tiny_path), device="cpu", dtype="fp32")
    monkeypatch.setenv("CHEMTUNE_CPU_MATMUL", "blas")
    with pytest.raises(ChemtuneError, match="must be one of auto, mkl, onednn, not 'blas'"):
        cpu_kernels.use_fastest(model)


def test_eval_logs_which_library_multiplies(tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHEMTUNE_CPU_MATMUL", "onednn")
    lines: list[str] = []
    model, _ = load_for_inference(str(tiny_path), device="cpu", log=lines.append)
    assert lines == ["float32 matrix products on oneDNN (CHEMTUNE_CPU_MATMUL=onednn)"]
    assert linear_classes(model) == {"OneDnnLinear"}
    evaluate({"model": str(tiny_path), "benchmark": "sample", "limit": 2, "device": "cpu"}, log=lines.append)
    assert lines.count("float32 matrix products on oneDNN (CHEMTUNE_CPU_MATMUL=onednn)") == 2
