"""The eval job's config check and the labels it gives its results."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.job import check_config, model_label


def test_an_adapter_in_a_train_run_folder_is_labelled_by_its_run_id() -> None:
    config = {"model": "tiny", "adapter": "/data/home/runs/ko-lora-2/adapter"}
    assert model_label(config) == "tiny + ko-lora-2"
    assert model_label({"model": "tiny", "adapter": "ko-lora-2"}) == "tiny + ko-lora-2"
    assert model_label({"model": "tiny", "adapter": "/data/adapters/my-adapter"}) == "tiny + my-adapter"
    assert model_label({"model": "tiny", "adapter": "x", "label": "mine"}) == "mine"


@pytest.mark.parametrize(
    ("key", "value", "flag"),
    [("limit", -1, "--limit"), ("batch_size", 0, "--batch-size"), ("max_new_tokens", 0, "--max-new-tokens"),
     ("limit", "many", "--limit")],
)
def test_a_limit_batch_or_length_out_of_range_is_refused_naming_its_flag(key, value, flag) -> None:
    with pytest.raises(ChemtuneError, match=f"^{flag} must be"):
        check_config({"model": "tiny", "benchmark": "sample", key: value})


def test_a_limit_of_zero_or_more_is_accepted() -> None:
    assert check_config({"model": "tiny", "benchmark": "sample", "limit": "3"})["limit"] == 3
    assert check_config({"model": "tiny", "benchmark": "sample", "limit": 0})["limit"] == 0


def test_an_unknown_adapter_is_refused_before_the_job_starts(tmp_path: Path) -> None:
    with pytest.raises(ChemtuneError, match="^--adapter nope-run: No run named 'nope-run'"):
        check_config({"model": "tiny", "benchmark": "sample", "adapter": "nope-run"})
    not_adapter = tmp_path / "folder"
    not_adapter.mkdir()
    with pytest.raises(ChemtuneError, match="^--adapter .*folder: .*not an adapter folder"):
        check_config({"model": "tiny", "benchmark": "sample", "adapter": str(not_adapter)})
    with pytest.raises(ChemtuneError, match="^--adapter .*missing: no such folder"):
        check_config({"model": "tiny", "benchmark": "sample", "adapter": str(tmp_path / "missing")})


def test_a_model_that_needs_remote_code_is_refused_without_trust_and_accepted_with_it() -> None:
    exaone = {"model": "exaone-3.5-7.8b-instruct", "benchmark": "sample"}
    with pytest.raises(ChemtuneError, match="needs custom code from its repository.*--trust-remote-code"):
        check_config(exaone)
    assert check_config({**exaone, "trust_remote_code": True})["trust_remote_code"] is True
    # the yes/no of a hand-written config.yaml is read as written, not as a non-empty string
    with pytest.raises(ChemtuneError, match="needs custom code"):
        check_config({**exaone, "trust_remote_code": "false"})
    # an endpoint runs the model elsewhere: no code of the model runs here
    assert check_config({**exaone, "method": "endpoint", "base_url": "http://127.0.0.1:9/v1"})
