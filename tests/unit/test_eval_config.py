"""EvalConfig and ContaminationConfig are the one declaration of evaluation options: the `eval` and
`contamination` CLI flags, the YAML keys of an eval job's config.yaml and the Evaluate tab's widgets all
come from them, and CLI and tab refuse a bad value with the same message naming the option."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from chemtune import cli, options, workspace
from chemtune.evaluate import config as declared
from chemtune.evaluate.config import ContaminationConfig, EvalConfig
from chemtune.options import option
from pages.i18n import Translator
from pages.widgets import option_strings

COMMAND_EXTRAS = {"eval": {"config", "name", "timeout"}, "contamination": set()}  # not options of the job


class WithTemperature(EvalConfig):
    """EvalConfig with one more option, as a later change would declare it."""

    temperature: float = option(0.0, "Temperature", "Sampling temperature of generated answers.", "온도",
                                "생성 답변의 샘플링 온도.", "scoring", ge=0, le=2)


class WithCaseSensitive(ContaminationConfig):
    case_sensitive: bool = option(False, "Case sensitive", "Compare upper and lower case apart.",
                                  "대소문자 구분", "대문자와 소문자를 구분해 비교합니다.", "check")


def _actions(subcommand: str) -> list:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict))
    return sub.choices[subcommand]._actions


def _flags(subcommand: str) -> set[str]:
    return {flag for action in _actions(subcommand) for flag in action.option_strings}


def _dests(subcommand: str) -> set[str]:
    return {action.dest for action in _actions(subcommand)} - {"help", "json"}


def _evaluate_tab(lang: str = "en") -> dict[str, Any]:
    """The Evaluate tab's widgets by name, built alone (and wired, so the wiring sees every name too),
    with the strings of the declarations as they are now."""
    from pages import evaluate

    strings = {**evaluate.STRINGS, **option_strings(declared.EvalConfig, "eval"),
               **option_strings(declared.ContaminationConfig, "contam")}
    translator = Translator(lang)
    with gr.Blocks():
        translator.language_switch()
        text = translator.page(strings, "evaluate")
        ui = evaluate.layout(text)
        evaluate.wire(ui, text.on_language)
    return ui


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Configs handed to the job system, instead of starting a job."""
    from chemtune import jobs

    configs: list[dict] = []

    class Run:
        run_id, path = "eval-test", Path("/nowhere")

    def start_job(kind: str, config: dict, **_: Any) -> Run:
        configs.append({"kind": kind, **config})
        return Run()

    monkeypatch.setattr(jobs, "start_job", start_job)
    return configs


def _run_values(**values: Any) -> dict[str, Any]:
    """The run section's values as the tab sends them, every option at its declared default."""
    defaults = {name: field.default for name, field in declared.EvalConfig.model_fields.items()}
    return {**defaults, "exam_file": None, "api_key": "", "lang": "en", **values}


def test_every_option_has_both_languages_a_group_and_labelled_choices() -> None:
    for config in (EvalConfig, ContaminationConfig):
        for name in config.model_fields:
            spec = options.describe(config, name)
            assert spec["label"] and spec["help"] and spec["ko"] and spec["ko_help"], name
            for value, label in (spec["labels"] or {}).items():
                assert label["en"] and label["ko"], (name, value)
    groups = {options.describe(EvalConfig, name)["group"] for name in EvalConfig.model_fields}
    assert groups <= set(declared.GROUPS)


def test_the_declared_choices_are_the_ones_the_job_knows() -> None:
    from chemtune.evaluate.harness import PROMPT_STYLES
    from chemtune.evaluate.prompts import METHODS

    assert typing.get_args(declared.Method) == METHODS
    assert typing.get_args(declared.PromptStyle) == PROMPT_STYLES


def test_every_option_is_a_flag_a_yaml_key_and_a_widget(started: list[dict]) -> None:
    from pages import evaluate_handlers

    for command, config in (("eval", EvalConfig), ("contamination", ContaminationConfig)):
        assert _dests(command) == set(config.model_fields) | COMMAND_EXTRAS[command]
        assert {options.flag(name) for name in config.model_fields} <= _flags(command)
    ui = _evaluate_tab()
    assert set(EvalConfig.model_fields) | set(ContaminationConfig.model_fields) <= set(ui)
    for config in (EvalConfig, ContaminationConfig):
        for name in config.model_fields:
            assert ui[name].label == options.describe(config, name)["label"], name
    evaluate_handlers.start_eval(_run_values(model="tiny"))
    assert set(started[-1]) == {"kind", *EvalConfig.model_fields}  # config.yaml: the options, and kind


def test_widgets_take_defaults_and_choices_from_the_declaration_and_show_korean() -> None:
    ui = _evaluate_tab("ko")
    for name in ("shots", "limit", "batch_size", "method", "prompt_style", "ngram", "threshold"):
        config = EvalConfig if name in EvalConfig.model_fields else ContaminationConfig
        assert ui[name].value == options.describe(config, name)["default"], name
    assert ui["method"].choices == [("로그우도", "loglik"), ("생성", "generate"), ("엔드포인트", "endpoint")]
    assert ui["group_by"].choices == [("과목별", "subject"), ("난이도별", "difficulty")]
    assert ui["shots"].label == "예시 수 (k-샷)"
    assert ("내장 예제 화학 시험", "sample") in ui["benchmark"].choices
    assert ui["results"].headers[:3] == ["세부 분류", "문항 수", "정확도"]


def test_a_number_widget_leaves_its_limits_to_the_declaration() -> None:
    """Gradio would refuse an out-of-range number with words that name no option; the option's own check
    refuses it instead, in the words the CLI uses."""
    ui = _evaluate_tab()
    assert ui["shots"].preprocess(30) == 30 and ui["ngram"].preprocess(3) == 3


def test_adding_an_option_adds_its_flag_yaml_key_and_widget(monkeypatch: pytest.MonkeyPatch,
                                                            started: list[dict]) -> None:
    from chemtune.evaluate.commands import eval_config
    from chemtune.evaluate.job import check_config
    from pages import evaluate_handlers

    monkeypatch.setattr(declared, "EvalConfig", WithTemperature)
    assert "--temperature" in _flags("eval")
    args = cli.build_parser().parse_args(["eval", "--model", "tiny", "--temperature", "0.5"])
    assert check_config(eval_config(args))["temperature"] == 0.5
    ui = _evaluate_tab()
    assert ui["temperature"].label == "Temperature" and ui["temperature"].value == 0.0
    evaluate_handlers.start_eval(_run_values(model="tiny", temperature=0.7))
    assert started[-1]["temperature"] == 0.7

    monkeypatch.setattr(declared, "ContaminationConfig", WithCaseSensitive)
    assert "--case-sensitive" in _flags("contamination")
    assert _evaluate_tab()["case_sensitive"].label == "Case sensitive"


@pytest.mark.parametrize(("argv", "values", "field"), [
    (["--model", "tiny", "--shots", "30"], {"model": "tiny", "shots": 30}, "shots"),
    (["--model", "tiny", "--limit", "-1"], {"model": "tiny", "limit": -1}, "limit"),
    (["--model", "gpt", "--method", "endpoint"], {"model": "gpt", "method": "endpoint"}, "base_url"),
    (["--model", "tiny", "--method", "generate", "--prompt-style", "harness"],
     {"model": "tiny", "method": "generate", "prompt_style": "harness"}, "prompt_style"),
    (["--benchmark", "sample"], {"model": ""}, "model"),
])
def test_cli_and_tab_refuse_a_bad_value_with_the_same_words(
        capsys: pytest.CaptureFixture, started: list[dict], argv: list[str], values: dict, field: str
) -> None:
    from pages import evaluate_handlers

    assert cli.main(["eval", *argv]) == 1
    cli_line = capsys.readouterr().err.strip().removeprefix("error: ")
    assert cli_line.startswith("eval options: ") and f"({field})" in cli_line
    assert evaluate_handlers.start_eval(_run_values(**values)) == {"status": f"⚠️ {cli_line}"}
    korean = evaluate_handlers.start_eval(_run_values(**values, lang="ko"))["status"]
    label = options.describe(EvalConfig, field)["ko"]
    assert korean.startswith(f"⚠️ 평가 옵션: {label} ({field}): ")
    assert started == []  # nothing was started


def test_the_contamination_cli_and_tab_refuse_with_the_same_words(capsys: pytest.CaptureFixture) -> None:
    from pages import evaluate_handlers

    assert cli.main(["contamination", "--datasets", "sample", "--ngram", "3"]) == 1
    cli_line = capsys.readouterr().err.strip().removeprefix("error: ")
    assert cli_line == "contamination options: n-gram length (characters) (ngram): Input should be greater " \
                       "than or equal to 5"
    tab = {"benchmark": "sample", "data_dir": "", "group_by": "subject", "datasets": ["sample"], "ngram": 3,
           "threshold": 0.5, "with_choices": False, "exam_file": None}
    assert evaluate_handlers.check_contamination({**tab, "lang": "en"})["contam_summary"] == f"⚠️ {cli_line}"
    korean = evaluate_handlers.check_contamination({**tab, "lang": "ko"})["contam_summary"]
    assert korean == "⚠️ 오염 검사 옵션: n-그램 길이(글자) (ngram): 5 이상이어야 합니다"


def test_a_choice_refused_in_korean_names_the_choices_by_their_korean_labels() -> None:
    with pytest.raises(Exception) as refused:
        declared.make_eval_config({"model": "tiny", "prompt_style": "lm-eval"})
    assert refused.value.ko == ("평가 옵션: 프롬프트 형식 (prompt_style): 다음 중 하나여야 합니다: "
                                "채팅 템플릿(chat), 평가 하니스(harness)")


def test_an_eval_config_file_repeats_the_evaluation_and_flags_override_it(tmp_path: Path) -> None:
    from chemtune.evaluate.commands import eval_config
    from chemtune.evaluate.job import check_config

    config = check_config({"model": "tiny", "shots": 2, "label": "mine", "method": "generate"})
    path = tmp_path / "config.yaml"
    workspace.write_yaml(path, {"kind": "eval", **config})
    args = cli.build_parser().parse_args(["eval", "--config", str(path)])
    assert check_config(eval_config(args)) == config
    # a file may leave out what a flag gives, and a flag wins over the file
    workspace.write_yaml(path, {"method": "endpoint", "shots": 1})
    args = cli.build_parser().parse_args(["eval", "--config", str(path), "--model", "gpt", "--base-url",
                                          "http://127.0.0.1:9/v1", "--shots", "3"])
    assert check_config(eval_config(args))["shots"] == 3
    workspace.write_yaml(path, {"model": "tiny", "temprature": 0.2})
    with pytest.raises(Exception, match="not eval options: temprature"):
        eval_config(cli.build_parser().parse_args(["eval", "--config", str(path)]))
