"""The eval job's config check and the labels it gives its results."""

from __future__ import annotations

from chemtune.evaluate.job import model_label


def test_an_adapter_in_a_train_run_folder_is_labelled_by_its_run_id() -> None:
    config = {"model": "tiny", "adapter": "/data/home/runs/ko-lora-2/adapter"}
    assert model_label(config) == "tiny + ko-lora-2"
    assert model_label({"model": "tiny", "adapter": "ko-lora-2"}) == "tiny + ko-lora-2"
    assert model_label({"model": "tiny", "adapter": "/data/adapters/my-adapter"}) == "tiny + my-adapter"
    assert model_label({"model": "tiny", "adapter": "x", "label": "mine"}) == "mine"
