"""describe_device() and gpu_memory_text() on this CPU machine and on a faked CUDA GPU."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from chemtune import hardware

H100_BYTES = 85_031_714_816  # what torch reports for an "NVIDIA H100 80GB HBM3": 79.2 GiB


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "_cuda", lambda: None)


@pytest.fixture
def fake_h100(monkeypatch: pytest.MonkeyPatch) -> None:
    props = SimpleNamespace(name="NVIDIA H100 80GB HBM3", total_memory=H100_BYTES)
    cuda = SimpleNamespace(
        device_count=lambda: 1,
        get_device_properties=lambda index: props,
        memory_allocated=lambda index: 2 * hardware.GIB,
        memory_reserved=lambda index: 3 * hardware.GIB,
    )
    monkeypatch.setattr(hardware, "_cuda", lambda: cuda)


def test_cpu_machine_is_described_with_cores_and_ram(no_gpu: None) -> None:
    device = hardware.describe_device()
    assert device["kind"] == "cpu"
    assert device["name"].startswith("CPU (") and device["name"].endswith(" cores)")
    assert device["memory_gb"] is None or device["memory_gb"] > 0
    assert device["text"].startswith(device["name"])


def test_cpu_machine_reports_no_gpu_memory(no_gpu: None) -> None:
    assert hardware.gpu_memory_text() == "no GPU"


def test_gpu_is_described_by_name_and_memory(fake_h100: None) -> None:
    device = hardware.describe_device()
    assert device == {
        "kind": "cuda",
        "name": "NVIDIA H100 80GB HBM3",
        "count": 1,
        "memory_gb": 79.2,
        "text": "GPU: NVIDIA H100 80GB HBM3 · 79.2 GB",
    }


def test_gpu_memory_shows_allocated_reserved_and_total(fake_h100: None) -> None:
    assert hardware.gpu_memory_text() == "GPU memory: 2.0 GB allocated · 3.0 GB reserved · 79.2 GB total"


def test_real_device_description_has_the_documented_keys() -> None:
    device = hardware.describe_device()
    assert device["kind"] in ("cuda", "cpu")
    assert {"kind", "name", "memory_gb", "text"} <= set(device)
    assert isinstance(device["text"], str) and device["text"]


# ---- precision "auto": one rule for training, merging and loading ---------------------------------------
def fake_cuda(monkeypatch: pytest.MonkeyPatch, bf16: bool) -> None:
    cuda = SimpleNamespace(is_bf16_supported=lambda: bf16)
    monkeypatch.setattr(hardware, "_cuda", lambda: cuda)


@pytest.mark.parametrize(("gpu", "device", "expected"), [
    (None, None, "fp32"), (None, "cpu", "fp32"),
    ("bf16", None, "bf16"), ("bf16", "cuda:1", "bf16"), ("bf16", "cpu", "fp32"),
    ("old", None, "fp16"), ("old", "cuda", "fp16"), ("old", "cpu", "fp32"),
])
def test_auto_precision_is_bf16_on_a_gpu_that_has_it_fp16_on_an_older_one_fp32_elsewhere(
        monkeypatch: pytest.MonkeyPatch, gpu: str | None, device: str | None, expected: str) -> None:
    if gpu is None:
        monkeypatch.setattr(hardware, "_cuda", lambda: None)
    else:
        fake_cuda(monkeypatch, bf16=gpu == "bf16")
    assert hardware.auto_precision(device) == expected
    assert hardware.resolve_precision("auto", device) == expected
    assert hardware.resolve_precision("fp32", device) == "fp32"


def test_training_merging_and_loading_read_auto_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trainer, the merge after training and the model loader all follow hardware.auto_precision."""
    import torch

    from chemtune import models
    from chemtune.train import worker

    for bf16, expected, dtype in ((True, "bf16", torch.bfloat16), (False, "fp16", torch.float16)):
        fake_cuda(monkeypatch, bf16=bf16)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        assert worker.resolve_precision("auto") == expected
        assert models.pick_device("cuda", "auto") == ("cuda", dtype)
        assert models.pick_device("cpu", "auto") == ("cpu", torch.float32)
        assert merged_dtype(monkeypatch, "auto") == expected
    monkeypatch.setattr(hardware, "_cuda", lambda: None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert worker.resolve_precision("auto") == "fp32"
    assert models.pick_device() == ("cpu", torch.float32)
    assert merged_dtype(monkeypatch, "auto") == "fp32"


def merged_dtype(monkeypatch: pytest.MonkeyPatch, precision: str) -> str:
    """The dtype the merge after training reloads the base in (the load itself is cut short)."""
    from chemtune import models
    from chemtune.train import checkpoint

    class Loaded(Exception):
        pass

    def load_model(spec, **kwargs):
        raise Loaded(kwargs["dtype"])

    monkeypatch.setattr(models, "load_model", load_model)
    with pytest.raises(Loaded) as loaded:
        checkpoint.export_merged(Path("run"), "tiny", Path("adapter"), precision, False)
    return str(loaded.value)


def test_an_unknown_precision_is_refused_in_both_languages() -> None:
    from chemtune.errors import ChemtuneError

    with pytest.raises(ChemtuneError, match="'fp8' is not one of auto, bf16, fp16, fp32") as raised:
        hardware.resolve_precision("fp8")
    assert "정밀도" in raised.value.text("ko")


def test_fp16_training_on_the_cpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from chemtune.errors import ChemtuneError
    from chemtune.train import worker

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ChemtuneError, match="fp16 needs a CUDA GPU"):
        worker.resolve_precision("fp16")


def test_the_device_line_and_gpu_memory_in_korean(fake_h100: None) -> None:
    assert hardware.describe_device("ko")["text"] == "GPU: NVIDIA H100 80GB HBM3 · 79.2 GB"
    assert hardware.gpu_memory_text("ko") == "GPU 메모리: 할당 2.0 GB · 예약 3.0 GB · 전체 79.2 GB"


def test_the_cpu_line_in_korean(no_gpu: None) -> None:
    assert hardware.describe_device("ko")["text"].startswith("CPU (") and "코어)" in hardware.describe_device(
        "ko")["text"]
    assert hardware.gpu_memory_text("ko") == "GPU 없음"
