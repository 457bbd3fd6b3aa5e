"""GenerateConfig is the one declaration of generation options: the `generate` CLI flags, the YAML keys of a
generate job's config.yaml and the Data tab's widgets all come from it, and CLI and tab refuse a bad value
with the same message naming the option."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

from chemtune import cli, options
from chemtune.datagen import config as generation
from chemtune.datagen.config import GenerateConfig, ImportConfig, to_yaml_dict
from chemtune.datagen.importers import KINDS
from chemtune.datagen.tasks import PROPERTIES
from chemtune.options import option
from pages.i18n import Translator
from pages.widgets import option_strings


class WithTopP(GenerateConfig):
    """GenerateConfig with one more option, as a later change would declare it."""

    top_p: float = option(1.0, "Top-p", "Nucleus sampling share.", "Top-p", "누클리어스 샘플링 비율.",
                          "teacher", gt=0, le=1)


def _flags(subcommand: str) -> set[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict))
    return {flag for action in sub.choices[subcommand]._actions for flag in action.option_strings}


def _data_tab(strings: dict | None = None) -> dict[str, gr.components.Component]:
    """The Data tab built alone; its components by elem_id."""
    from pages import data

    translator = Translator("en")
    with gr.Blocks() as demo:
        translator.language_switch()
        data.build(translator.page(strings or data.STRINGS, "data"))
    return {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}


def _widget_id(name: str) -> str:
    return "gen-" + name.replace("_", "-")


def test_every_option_is_a_flag_a_yaml_key_and_a_widget() -> None:
    from pages.data import COMPOSED

    flags, widgets = _flags("generate"), _data_tab()
    yaml_keys = set(to_yaml_dict(GenerateConfig()))
    for name in GenerateConfig.model_fields:
        assert options.flag(name) in flags, name
        assert name in yaml_keys, name
        assert name in COMPOSED or _widget_id(name) in widgets, name
    assert yaml_keys == set(GenerateConfig.model_fields)
    assert {options.flag(name) for name in ImportConfig.model_fields} <= _flags("import")


def test_widgets_take_label_and_default_from_the_declaration() -> None:
    widgets = _data_tab()
    for name in ("temperature", "max_tokens", "concurrency", "dedup_threshold", "timeout", "max_attempts"):
        spec = options.describe(GenerateConfig, name)
        assert (widgets[_widget_id(name)].label, widgets[_widget_id(name)].value) == (spec["label"],
                                                                                   spec["default"]), name
    assert [value for _, value in widgets["gen-lang"].choices] == ["en", "ko"]
    assert [value for _, value in widgets["gen-property"].choices] == list(PROPERTIES)
    assert [value for _, value in widgets["imp-format"].choices] == list(KINDS)


def test_adding_an_option_adds_its_flag_yaml_key_and_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import data, data_handlers

    for module in (generation, data, data_handlers):
        monkeypatch.setattr(module, "GenerateConfig", WithTopP)
    assert "--top-p" in _flags("generate")
    assert to_yaml_dict(generation.make_generate_config({"top_p": 0.9}))["top_p"] == 0.9
    widgets = _data_tab({**data.STRINGS, **option_strings(WithTopP, "gen")})
    assert widgets["gen-top-p"].label == "Top-p" and widgets["gen-top-p"].value == 1.0
    form = {"task": "keywords", "kind": "paste", "pasted": "Benzene is aromatic.", "top_p": 0.5}
    assert data_handlers.generate_config(form).top_p == 0.5


@pytest.mark.parametrize(("flag", "field", "value"), [("--concurrency", "concurrency", 0),
                                                      ("--dedup-threshold", "dedup_threshold", 1.5),
                                                      ("--max-tokens", "max_tokens", 0)])
def test_cli_and_tab_refuse_a_bad_value_with_the_same_words(
        capsys: pytest.CaptureFixture, tmp_path: Path, flag: str, field: str, value: float) -> None:
    from pages import data_handlers

    doc = tmp_path / "doc.txt"
    doc.write_text("Zeolites are microporous aluminosilicates.", encoding="utf-8")
    argv = ["generate", "--task", "keywords", "--source", str(doc), "--out", "x", flag, str(value)]
    assert cli.main(argv) == 1
    cli_line = capsys.readouterr().err.strip().removeprefix("error: ")
    form = {"task": "keywords", "kind": "paste", "pasted": "Zeolites.", "preview_n": 1, field: value}
    tab_line, _ = data_handlers.run_preview({**form, "language": "en"})
    assert tab_line == f"⚠️ {cli_line}"
    assert f"({field})" in cli_line and cli_line.startswith("generation options: ")
    korean, _ = data_handlers.run_preview({**form, "language": "ko"})
    label = options.describe(GenerateConfig, field)["ko"]
    assert korean.startswith(f"⚠️ 생성 옵션: {label} ({field}): ")


def test_a_job_config_file_is_read_back_as_the_same_options(tmp_path: Path) -> None:
    from chemtune import workspace

    config = GenerateConfig(task="qa", source="docs.txt", out="qa-set", temperature=0.4,
                            prices="gpt-4o=2.5/10")
    path = tmp_path / "config.yaml"
    workspace.write_yaml(path, {"kind": "generate", **to_yaml_dict(config)})
    assert generation.make_generate_config(generation.load_config_file(path)) == config


def test_older_configs_with_a_nested_llm_block_still_load() -> None:
    config = GenerateConfig.model_validate({"task": "keywords", "llm": {"model": "gpt-4o", "timeout_s": 5}})
    assert (config.model, config.timeout, config.llm.model) == ("gpt-4o", 5, "gpt-4o")
