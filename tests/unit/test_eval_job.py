"""The eval job's config check and the labels it gives its results."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.job import check_config, model_label


def _train_run(home: Path, run_id: str) -> Path:
    """A finished train run folder with a (config-only) adapter in it."""
    from chemtune import workspace

    folder = home / "runs" / run_id
    (folder / "adapter").mkdir(parents=True)
    (folder / "adapter" / "adapter_config.json").write_text("{}")
    workspace.write_yaml(folder / "config.yaml", {"kind": "train", "model": "tiny"})
    workspace.write_json(folder / "status.json", {"status": "done", "kind": "train",
                                                 "result": {"adapter_dir": str(folder / "adapter")}})
    return folder


def test_an_adapter_in_a_train_run_folder_is_labelled_by_its_run_id(isolated_workspace: Path) -> None:
    run = _train_run(isolated_workspace, "ko-lora-2")
    assert model_label({"model": "tiny", "adapter": str(run / "adapter")}) == "tiny + ko-lora-2"
    assert model_label({"model": "tiny", "adapter": "ko-lora-2"}) == "tiny + ko-lora-2"
    # a run folder that has since moved keeps its label
    moved = "/data/home/runs/ko-lora-3/adapter"
    assert model_label({"model": "tiny", "adapter": moved}) == "tiny + ko-lora-3"
    assert model_label({"model": "tiny", "adapter": "/data/adapters/my-adapter"}) == "tiny + my-adapter"
    assert model_label({"model": "tiny", "adapter": "x", "label": "mine"}) == "mine"
    # the chat's NAME=SPEC rule: the name given is the row's
    assert model_label({"model": "tiny", "adapter": "best=ko-lora-2"}) == "tiny + best"


def test_eval_and_chat_resolve_an_adapter_by_one_rule(isolated_workspace: Path) -> None:
    from chemtune.chat.adapters import resolve_adapter as chat_resolve
    from chemtune.evaluate.job import resolve_adapter

    run = _train_run(isolated_workspace, "ko-lora-2")
    for spec in ("ko-lora-2", str(run / "adapter"), "best=ko-lora-2"):
        folder = str(chat_resolve(spec)[1].resolve())
        assert resolve_adapter(spec) == folder == str((run / "adapter").resolve())
    assert check_config({"model": "tiny", "adapter": "best=ko-lora-2"})["adapter"] == "best=ko-lora-2"


@pytest.mark.parametrize(
    ("key", "value", "label"),
    [("limit", -1, "Questions per sub-category"), ("batch_size", 0, "Batch size"),
     ("max_new_tokens", 0, "Answer length"), ("limit", "many", "Questions per sub-category"),
     ("shots", 26, "Examples")],
)
def test_a_limit_batch_or_length_out_of_range_is_refused_naming_its_field(key, value, label) -> None:
    with pytest.raises(ChemtuneError, match=rf"^eval options: {label}.* \({key}\): "):
        check_config({"model": "tiny", "benchmark": "sample", key: value})


def test_a_limit_of_zero_or_more_is_accepted() -> None:
    assert check_config({"model": "tiny", "benchmark": "sample", "limit": "3"})["limit"] == 3
    assert check_config({"model": "tiny", "benchmark": "sample", "limit": 0})["limit"] == 0
    assert check_config({"model": "tiny", "benchmark": "sample", "shots": 25})["shots"] == 25


def test_the_checked_config_holds_every_declared_option_and_checks_again_the_same() -> None:
    from chemtune.evaluate.config import EvalConfig

    config = check_config({"kind": "eval", "model": "tiny", "data_dir": "", "label": "  "})
    assert set(config) == set(EvalConfig.model_fields)  # the job system's 'kind' is no option
    assert config["data_dir"] is None and config["label"] is None  # an empty text box is 'not set'
    assert check_config(config) == config


def test_an_unknown_adapter_is_refused_before_the_job_starts(tmp_path: Path) -> None:
    with pytest.raises(ChemtuneError, match=r"^eval options: Adapter \(adapter\): No run named 'nope-run'"):
        check_config({"model": "tiny", "benchmark": "sample", "adapter": "nope-run"})
    not_adapter = tmp_path / "folder"
    not_adapter.mkdir()
    with pytest.raises(ChemtuneError, match=r"^eval options: Adapter \(adapter\): .*folder is a folder but "
                                            "not a PEFT adapter"):
        check_config({"model": "tiny", "benchmark": "sample", "adapter": str(not_adapter)})
    with pytest.raises(ChemtuneError, match=r"^eval options: Adapter \(adapter\): .*missing.* not exist"):
        check_config({"model": "tiny", "benchmark": "sample", "adapter": str(tmp_path / "missing")})


def test_an_eval_run_is_no_adapter(isolated_workspace: Path) -> None:
    from chemtune import workspace

    workspace.write_json(isolated_workspace / "evals" / "eval-1" / "status.json", {"status": "done",
                                                                                    "kind": "eval"})
    with pytest.raises(ChemtuneError, match="eval-1' is not a train run"):
        check_config({"model": "tiny", "adapter": "eval-1"})


def test_a_model_that_needs_remote_code_is_refused_without_trust_and_accepted_with_it() -> None:
    exaone = {"model": "exaone-3.5-7.8b-instruct", "benchmark": "sample"}
    with pytest.raises(ChemtuneError, match=r"Trust remote code \(trust_remote_code\): .*needs custom code "
                                            "from its repository"):
        check_config(exaone)
    assert check_config({**exaone, "trust_remote_code": True})["trust_remote_code"] is True
    # the yes/no of a hand-written config.yaml is read as written, not as a non-empty string
    with pytest.raises(ChemtuneError, match="needs custom code"):
        check_config({**exaone, "trust_remote_code": "false"})
    # an endpoint runs the model elsewhere: no code of the model runs here
    assert check_config({**exaone, "method": "endpoint", "base_url": "http://127.0.0.1:9/v1"})
