"""describe_device() and gpu_memory_text() on this CPU machine and on a faked CUDA GPU."""

from __future__ import annotations

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
