"""Widgets built from an option declaration (`chemtune.options`): label, help, choices in both languages,
limits and default come from the declared field, so a tab can never disagree with the CLI.

    STRINGS.update(option_strings(EvalConfig, "ev"))          # ev_<name>, ev_<name>_help, ev_<name>__<value>
    shots = option_widget(text, EvalConfig, "shots", "ev")     # a gr.Number bounded as the field is
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import gradio as gr
from pydantic import BaseModel

from chemtune import options
from pages.i18n import PageText


def option_strings(config: type[BaseModel], prefix: str) -> dict[str, dict[str, str]]:
    """The page strings of every option of `config`: label, help and each choice's label."""
    strings: dict[str, dict[str, str]] = {}
    for name in config.model_fields:
        spec = options.describe(config, name)
        strings[f"{prefix}_{name}"] = {"en": spec["label"], "ko": spec["ko"]}
        strings[f"{prefix}_{name}_help"] = {"en": spec["help"], "ko": spec["ko_help"]}
        for value, label in (spec["labels"] or {}).items():
            strings[f"{prefix}_{name}__{value}"] = label
    return strings


def choice_ids(config: type[BaseModel], name: str, prefix: str) -> dict[Any, str]:
    """{stored value: string id of its label} for a choice option."""
    return {value: f"{prefix}_{name}__{value}" for value in options.describe(config, name)["choices"]}


def option_widget(text: PageText, config: type[BaseModel], name: str, prefix: str, *,
                  radio: bool = False, **overrides: Any) -> Any:
    """The widget for one declared option, registered so its text follows the language switch.

    A choice becomes a Dropdown (a Radio with radio=True) whose labels are translated and whose value is
    the stored id; a bool a Checkbox; a number a Number bounded as declared; anything else a Textbox.
    `overrides` pass through to the component (value, visible, scale, elem_id …)."""
    spec = options.describe(config, name)
    common: dict[str, Any] = {"value": spec["default"],
                              "elem_id": f"{prefix}-{name.replace('_', '-')}"}
    choices = None
    if spec["kind"] == "bool":
        cls = gr.Checkbox
    elif spec["kind"] == "choice":
        cls = gr.Radio if radio else gr.Dropdown
        choices = choice_ids(config, name, prefix)
        common["choices"] = text.choices(choices)
    elif spec["kind"] in ("int", "float"):
        cls = gr.Number
        common["minimum"] = spec.get("ge", spec.get("gt"))
        common["maximum"] = spec.get("le", spec.get("lt"))
        common["precision"] = 0 if spec["kind"] == "int" else None
    else:
        cls = gr.Textbox
        common["max_lines"] = 1
    component = cls(label=text.text(f"{prefix}_{name}"), info=text.text(f"{prefix}_{name}_help"),
                    **(common | overrides))
    return text.register(component, label=f"{prefix}_{name}", info=f"{prefix}_{name}_help", choices=choices)


def by_name(handler: Callable, widgets: Mapping[str, Any]) -> tuple[Callable, set]:
    """(fn, inputs) for an event whose handler takes its values by name: `handler(values, …)` gets
    {name: value} for the named widgets, so reordering the layout cannot swap two arguments.

        send.click(*by_name(send_message, {"message": box, "lang": text.language}), outputs=[…])

    Gradio's set-style inputs hand the wrapper {component: value}; a `request` parameter of the handler
    still receives the gr.Request."""
    names = {component: name for name, component in widgets.items()}
    wants_request = "request" in inspect.signature(handler).parameters

    def named(data: dict) -> dict[str, Any]:
        return {names[component]: value for component, value in data.items()}

    if inspect.isgeneratorfunction(handler):
        def call(data: dict, request: gr.Request) -> Any:
            yield from (handler(named(data), request=request) if wants_request else handler(named(data)))
    else:
        def call(data: dict, request: gr.Request) -> Any:
            return handler(named(data), request=request) if wants_request else handler(named(data))
    call.__name__ = call.__qualname__ = handler.__name__
    return call, set(widgets.values())


# ---- the benchmark picker (Evaluate and Study tabs) -------------------------------------------------

# A page that offers benchmarks merges these into its STRINGS, beside its own bench_<NAME> for each exam.
BENCHMARK_STRINGS = {
    "bench_tasks_run": {"en": "Task scores · records held out by train run {name}",
                        "ko": "작업별 점수 · 학습 실행 {name}이(가) 떼어 둔 검증 레코드"},
    "bench_tasks_dataset": {"en": "Task scores · dataset {name}", "ko": "작업별 점수 · 데이터셋 {name}"},
}


def benchmark_ids() -> dict[str, Any]:
    """{benchmark: label id} for a benchmark picker: every exam of the catalogue (`bench_<NAME>`), then
    each task benchmark the workspace offers (a finished run's held-out records, each dataset)."""
    from chemtune.evaluate.benchmarks import CATALOGUE
    from chemtune.evaluate.tasks import PREFIX, task_benchmarks

    ids: dict[str, Any] = {name: f"bench_{name}" for name in CATALOGUE}
    for spec, kind in task_benchmarks():
        ids[spec] = (f"bench_tasks_{kind}", {"name": spec[len(PREFIX):]})
    return ids
