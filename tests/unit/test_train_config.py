"""The one declaration of training options: defaults, CLI flags, YAML files and error messages."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from chemtune import workspace
from chemtune.errors import ChemtuneError
from chemtune.train import config as options


def test_defaults_follow_the_paper_and_cover_every_projection() -> None:
    config = options.make_config({})
    assert config.lora_dropout == 0.0
    assert config.target_modules == "all-linear"
    assert config.precision == "auto"
    assert config.qlora is False
    assert config.data == ["sample"]


def test_every_option_has_english_and_korean_label_and_help_and_a_group() -> None:
    for name in options.fields():
        spec = options.describe(name)
        assert spec["label"] and spec["help"], name
        assert spec["ko"] and spec["ko_help"], name
        assert spec["group"] in options.GROUPS, name
    schedulers = options.describe("scheduler")["choices"]
    assert schedulers == ["cosine", "linear", "constant", "constant_with_warmup"]
    assert options.describe("use_dora")["kind"] == "bool"
    assert options.describe("lora_dropout")["lt"] == 1.0


def test_cli_flags_are_derived_from_the_declaration() -> None:
    parser = argparse.ArgumentParser()
    options.add_cli_options(parser)
    args = parser.parse_args(["--max-steps", "7", "--data", "a,b:2", "--use-dora", "--no-merge",
                              "--report-to", "tensorboard", "--learning-rate", "1e-3"])
    given = {k: v for k, v in vars(args).items() if v is not None}
    assert given == {"max_steps": 7, "data": "a,b:2", "use_dora": True, "merge": False,
                     "report_to": "tensorboard", "learning_rate": 1e-3}
    config = options.make_config(given)
    assert config.data == ["a", "b:2"]
    assert options.dataset_weight("b:2") == ("b", 2.0)
    assert options.dataset_weight("x:y") == ("x:y", 1.0)


def test_yaml_file_round_trips_and_ignores_run_bookkeeping(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    workspace.write_yaml(path, {"kind": "train", "resume": True, **options.to_yaml_dict(
        options.make_config({"max_steps": 3, "lora_rank": 4}))})
    values = options.load_config_file(path)
    assert options.make_config(values) == options.make_config({"max_steps": 3, "lora_rank": 4})


@pytest.mark.parametrize(("values", "named"), [
    ({"lora_dropout": 1.5}, "LoRA dropout (lora_dropout)"),
    ({"data": []}, "choose at least one dataset"),
    ({"data": ["a:-1"]}, "must be above 0"),
    ({"scheduler": "sawtooth"}, "LR scheduler (scheduler)"),
    ({"lora_rnak": 8}, "'lora_rnak' is not a training option"),
])
def test_bad_option_message_names_the_option(values: dict, named: str) -> None:
    with pytest.raises(ChemtuneError, match=named.replace("(", r"\(").replace(")", r"\)")):
        options.make_config(values)


def test_yaml_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("epochs: -1\n")
    with pytest.raises(ChemtuneError, match="bad.yaml: Epochs"):
        options.load_config_file(path)
    with pytest.raises(ChemtuneError, match="config file not found"):
        options.load_config_file(tmp_path / "missing.yaml")
