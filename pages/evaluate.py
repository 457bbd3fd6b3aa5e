"""Evaluate tab: run a chemistry exam as an eval job, compare finished evaluations, inspect every answer,
check an exam against the training data for contamination.

The option widgets are generated from `chemtune.evaluate.config` (EvalConfig, ContaminationConfig), the
one declaration of every evaluation option, and each is named as its option: a field added there gets its
widget here and reaches the job. Layout first (a builder per section, each returning its widgets by name),
then the wiring, where every handler takes and returns named values (`on`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import gradio as gr
from gradio.context import Context

from chemtune import options
from chemtune.evaluate import browse
from chemtune.evaluate import config as declared  # the options' declaration (read when used)
from chemtune.models import default_model
from pages import evaluate_handlers as handlers
from pages.evaluate_handlers import FILE_CHOICE
from pages.evaluate_strings import CONTAMINATION_COLUMNS, STRINGS
from pages.i18n import PageText
from pages.widgets import benchmark_ids, by_name, option_widget

__all__ = ["STRINGS", "build"]

Widgets = dict[str, Any]
RADIOS = ("group_by", "method", "prompt_style")
FOLDED = ("endpoint", "advanced")  # groups shown in a closed accordion
SHARED = ("benchmark", "data_dir", "group_by")  # the contamination check reads the run section's exam
LISTS = ["adapter", "picks", "inspect_eval", "datasets", "benchmark"]
# A number's limits are left to the declaration: the handler's refusal names the option (as the CLI's
# does), where Gradio's own bound check would refuse with a message that names nothing.
UNBOUNDED = {"minimum": None, "maximum": None}


def group_of(name: str) -> str:
    group = options.describe(declared.EvalConfig, name)["group"]
    return group if group in declared.GROUPS else "advanced"


def _option(text: PageText, config: type, name: str, prefix: str, **overrides: Any) -> Any:
    kind = options.describe(config, name)["kind"]
    extra = UNBOUNDED if kind in ("int", "float") else {}
    return option_widget(text, config, name, prefix, radio=name in RADIOS, **extra, **overrides)


def _picker(text: PageText, name: str, choices: Any, value: Any, prefix: str = "eval",
            choice_ids: dict[str, str] | None = None, **kwargs: Any) -> gr.Dropdown:
    """A dropdown for an option whose choices are the workspace's, labelled from the declaration."""
    label, info = f"{prefix}_{name}", f"{prefix}_{name}_help"
    kwargs.setdefault("elem_id", f"eval-{name}")
    dropdown = gr.Dropdown(choices, value=value, label=text.text(label), info=text.text(info), **kwargs)
    return text.register(dropdown, label=label, info=info, choices=choice_ids)


# ---- layout: one builder per section --------------------------------------------------------------------


def _run_widget(text: PageText, name: str) -> Any:
    if name == "model":
        return _picker(text, name, handlers.models(), default_model(), allow_custom_value=True)
    if name == "adapter":
        return _picker(text, name, handlers.adapter_choices(text.lang), "", allow_custom_value=True)
    if name == "benchmark":
        # Any benchmark may be typed too: tasks:DATASET, tasks:RUN_ID, tasks:DATASET@RUN_ID, an exam path.
        ids = benchmark_ids() | {FILE_CHOICE: "file_choice"}
        return _picker(text, name, text.choices(ids), "sample", choice_ids=ids, allow_custom_value=True)
    if name == "base_url":
        widget = _option(text, declared.EvalConfig, name, "eval", placeholder=text.text("base_url_hint"))
        return text.register(widget, placeholder="base_url_hint")
    return _option(text, declared.EvalConfig, name, "eval")


def run_section(text: PageText) -> Widgets:
    """Every EvalConfig option by its group (endpoint and advanced ones folded), the exam upload."""
    ui: Widgets = {}
    with gr.Group():
        for group in declared.GROUPS:
            names = [name for name in declared.EvalConfig.model_fields if group_of(name) == group]
            if group in FOLDED:
                with text.add(gr.Accordion, label=f"group_{group}", open=False):
                    with gr.Row():
                        ui |= {name: _run_widget(text, name) for name in names}
                        if group == "endpoint":
                            ui["api_key"] = text.add(gr.Textbox, label="api_key", info="api_key_help",
                                                     type="password", elem_id="eval-api-key")
                continue
            with gr.Row():
                ui |= {name: _run_widget(text, name) for name in names}
            if group == "exam":
                ui["exam_file"] = text.add(gr.File, label="exam_file", file_types=[".csv", ".jsonl"],
                                           type="filepath", elem_id="eval-file", height=120, visible=False)
    return ui


def status_section(text: PageText) -> Widgets:
    """Run / stop / refresh, the job's status and progress, its results table."""
    with gr.Row():
        ui = {"run_button": text.add(gr.Button, value="run", variant="primary", elem_id="eval-run"),
              "stop_button": text.add(gr.Button, value="stop", variant="stop", elem_id="eval-stop"),
              "refresh_button": text.add(gr.Button, value="refresh", elem_id="eval-refresh")}
    ui["status"] = gr.Markdown(elem_id="eval-status")
    ui["bar"] = gr.HTML(elem_id="eval-progress")
    ui["results"] = _table(text, "results", browse.RESULT_COLUMNS, elem_id="eval-results")
    return ui


def compare_section(text: PageText) -> Widgets:
    """Finished evaluations side by side: the paper-style table and its exports."""
    text.markdown("compare_title")
    with gr.Row():
        ui = {
            "picks": text.register(gr.Dropdown(handlers.eval_choices(text.lang), multiselect=True,
                                               label=text.text("compare_pick"), elem_id="eval-compare-pick",
                                               scale=3), label="compare_pick"),
            "metric": _radio(text, "metric", {"macro_f1": "metric_macro_f1", "accuracy": "metric_accuracy"},
                             "macro_f1"),
            "average": _radio(text, "average", {"average": "average_average", "mean": "average_mean"},
                              "average", info="average_help"),
        }
    ui["table"] = gr.Markdown(elem_id="eval-compare-table")
    with gr.Row():
        for name in handlers.DOWNLOADS:
            ui[name] = text.add(gr.DownloadButton, label=name, value=None, size="sm",
                                elem_id=f"eval-{name.replace('_', '-')}")
    return ui


def inspect_section(text: PageText) -> Widgets:
    """One evaluation's confusion heatmap, its questions, and the prompt and output of the one clicked."""
    text.markdown("inspect_title")
    with gr.Row():
        ui = {
            "inspect_eval": text.register(gr.Dropdown(handlers.eval_choices(text.lang),
                                                      label=text.text("inspect_pick"),
                                                      elem_id="eval-inspect-pick", scale=3),
                                          label="inspect_pick"),
            "subset": text.register(gr.Dropdown(handlers.subset_choices([], text.lang), value="all",
                                                label=text.text("subset"), elem_id="eval-subset"),
                                    label="subset"),
            "which": _radio(text, "which", {f: f"which_{f}" for f in browse.QUESTION_FILTERS}, "all"),
        }
    ui["heatmap"] = gr.Plot(elem_id="eval-heatmap")
    ui["questions"] = _table(text, "questions", browse.QUESTION_COLUMNS, elem_id="eval-questions",
                             max_height=320)
    ui["detail"] = gr.Markdown(elem_id="eval-question-detail")
    with gr.Row():
        ui["prompt"] = text.add(gr.Textbox, label="prompt", lines=8, max_lines=20, elem_id="eval-prompt")
        ui["raw"] = text.add(gr.Textbox, label="raw", lines=8, max_lines=20, elem_id="eval-raw")
    return ui


def contamination_section(text: PageText) -> Widgets:
    """ContaminationConfig's own options (the exam is the run section's) and the flagged questions."""
    text.markdown("contamination_title")
    ui: Widgets = {}
    with gr.Row():
        for name in declared.ContaminationConfig.model_fields:
            if name == "datasets":  # the workspace's datasets (refreshed with the other lists)
                ui[name] = _picker(text, name, [], [], prefix="contam", multiselect=True, scale=3,
                                   elem_id="eval-contam-datasets")
            elif name not in SHARED:
                ui[name] = _option(text, declared.ContaminationConfig, name, "contam")
    ui["contam_button"] = text.add(gr.Button, value="contamination_run", elem_id="eval-contam-run")
    ui["contam_summary"] = gr.Markdown(elem_id="eval-contam-summary")
    ui["contam_table"] = _table(text, "flagged", CONTAMINATION_COLUMNS, elem_id="eval-contam-table",
                                wrap=True)
    return ui


def _radio(text: PageText, label: str, ids: dict[str, str], value: str, info: str | None = None) -> gr.Radio:
    """A page's own choice (not an option): labels translated, the value an id."""
    radio = gr.Radio(text.choices(ids), value=value, label=text.text(label),
                     info=text.text(info) if info else None, elem_id=f"eval-{label}")
    return text.register(radio, label=label, choices=ids, **({"info": info} if info else {}))


def _table(text: PageText, label: str, columns: list[str], **kwargs: Any) -> gr.Dataframe:
    """A read-only table with its headers in the build language (handlers redraw it in the chosen one)."""
    frame = gr.Dataframe(headers=handlers.headers(columns, text.lang), interactive=False,
                         label=text.text(label), **kwargs)
    return text.register(frame, label=label)


def layout(text: PageText) -> Widgets:
    """Every section's widgets, by name (an option's widget by the option's)."""
    text.markdown("intro")
    ui: Widgets = {"lang": text.language or gr.State(text.lang), "run_id": gr.State(None),
                   "seen": gr.State(None), "contam_result": gr.State(None), "timer": gr.Timer(2.0)}
    for section in (run_section, status_section, compare_section, inspect_section, contamination_section):
        ui |= section(text)
    return ui


def build(text: PageText) -> None:
    wire(layout(text), text.on_language)


# ---- wiring ---------------------------------------------------------------------------------------------


def on(trigger: Callable, handler: Callable, ui: Widgets, inputs: Iterable[str], outputs: Iterable[str],
       *, selected: bool = False, **kwargs: Any) -> None:
    """`trigger(handler)` with named values both ways: the handler gets {name: value} of `inputs`
    (`pages.widgets.by_name`) and returns {name: value} for those `outputs` it changes; the others stay.
    `selected`: the handler also takes the event's gr.SelectData."""
    outs = list(dict.fromkeys(outputs))

    def answer(result: dict[str, Any]) -> dict[Any, Any]:
        unknown = set(result) - set(outs)
        if unknown:
            raise KeyError(f"{handler.__name__} answered {sorted(unknown)}, not among its outputs {outs}")
        return {ui[name]: result.get(name, gr.skip()) for name in outs}

    widgets = {name: ui[name] for name in inputs}
    if selected:  # by_name passes no event data
        names = {component: name for name, component in widgets.items()}

        def call(data: dict[Any, Any], evt: gr.SelectData) -> dict[Any, Any]:
            return answer(handler({names[c]: value for c, value in data.items()}, evt))
        fn, inputs_ = call, set(widgets.values())
    else:
        def answered(values: dict[str, Any]) -> dict[Any, Any]:
            return answer(handler(values))
        answered.__name__ = handler.__name__
        fn, inputs_ = by_name(answered, widgets)
    trigger(fn, inputs=inputs_, outputs=[ui[name] for name in outs], api_visibility="private", **kwargs)


def wire(ui: Widgets, on_language: Callable) -> None:
    """Every event of the tab; `on_language` is the page's `text.on_language` (redraws on a switch)."""
    # A user's choice is listened to by `.input`, not `.change`: a handler's update or the language switch
    # relabelling choices would fire `.change` again, a cascade of needless redraws.
    run_inputs = [*declared.EvalConfig.model_fields, "exam_file", "api_key", "lang"]
    on(ui["run_button"].click, handlers.start_eval, ui, run_inputs, ["run_id", "status"])
    on(ui["stop_button"].click, handlers.stop, ui, ["run_id", "lang"], ["status"])
    on(ui["adapter"].input, handlers.follow_adapter, ui, ["adapter", "model"], ["model"])
    on(ui["benchmark"].input, handlers.show_file, ui, ["benchmark"], ["exam_file"])
    on(ui["timer"].tick, handlers.poll, ui, ["run_id", "seen", "lang"],
       ["run_id", "status", "bar", "results", "seen", "picks", "inspect_eval"], show_progress="hidden")
    on(ui["refresh_button"].click, handlers.refresh_lists, ui, ["lang"], LISTS)
    compare = (["picks", "metric", "average", "lang"], ["table", *handlers.DOWNLOADS])
    for trigger in (ui["picks"].input, ui["metric"].input, ui["average"].input, on_language):
        on(trigger, handlers.compare, ui, *compare)
    inspect = (["inspect_eval", "subset", "which", "lang"], ["heatmap", "subset", "questions"])
    for trigger in (ui["inspect_eval"].change, ui["subset"].input, ui["which"].input, on_language):
        on(trigger, handlers.inspect, ui, *inspect)
    on(ui["questions"].select, handlers.show_question, ui, ["inspect_eval", "questions", "lang"],
       ["detail", "prompt", "raw"], selected=True)
    contamination_inputs = [*declared.ContaminationConfig.model_fields, "exam_file", "lang"]
    on(ui["contam_button"].click, handlers.check_contamination, ui, contamination_inputs,
       ["contam_summary", "contam_table", "contam_result"])
    # What handlers wrote in one language is redrawn in the other.
    on(on_language, handlers.show_results, ui, ["run_id", "lang"], ["results"])
    on(on_language, handlers.show_contamination, ui, ["contam_result", "lang"],
       ["contam_summary", "contam_table"])
    on(on_language, handlers.refresh_lists, ui, ["lang"], LISTS)
    # Lists are read afresh on every page load, so runs finished elsewhere (CLI, another tab) show up.
    if Context.root_block is not None:
        on(Context.root_block.load, handlers.refresh_lists, ui, ["lang"], LISTS)
