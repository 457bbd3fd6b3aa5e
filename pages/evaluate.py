"""Evaluate tab: run a chemistry exam as an eval job, compare finished evaluations, inspect every answer."""

from __future__ import annotations

import gradio as gr
from gradio.context import Context

from chemtune.evaluate import browse
from chemtune.evaluate.benchmarks import CATALOGUE
from chemtune.models import default_model
from pages.evaluate_handlers import (
    FILE_CHOICE,
    METHOD_CHOICES,
    PROMPT_STYLE_CHOICES,
    check_contamination,
    compare,
    follow_adapter,
    inspect,
    models,
    poll,
    refresh_lists,
    show_question,
    start_eval,
    stop,
)
from pages.evaluate_strings import STRINGS
from pages.i18n import PageText

__all__ = ["STRINGS", "build"]

# ---- layout, then wiring ------------------------------------------------------------------------------


def build(text: PageText) -> None:
    lang = text.language
    text.markdown("intro")
    run_id, seen = gr.State(None), gr.State(None)
    benchmarks = [(f"{b.title} ({b.name})", b.name) for b in CATALOGUE.values()]
    benchmarks.append((text.text("file_choice"), FILE_CHOICE))
    with gr.Group():
        with gr.Row():
            model = text.register(
                gr.Dropdown(
                    models(),
                    value=default_model(),
                    allow_custom_value=True,
                    label=text.text("model"),
                    info=text.text("model_help"),
                    elem_id="eval-model",
                ),
                label="model",
                info="model_help",
            )
            adapter = text.register(
                gr.Dropdown(
                    [("—", "")],
                    value="",
                    allow_custom_value=True,
                    label=text.text("adapter"),
                    info=text.text("adapter_help"),
                    elem_id="eval-adapter",
                ),
                label="adapter",
                info="adapter_help",
            )
            label = text.add(gr.Textbox, label="label", info="label_help", elem_id="eval-label")
        with gr.Row():
            benchmark = text.register(
                gr.Dropdown(
                    benchmarks,
                    value="sample",
                    label=text.text("benchmark"),
                    info=text.text("benchmark_help"),
                    elem_id="eval-benchmark",
                ),
                label="benchmark",
                info="benchmark_help",
            )
            data_dir = text.add(gr.Textbox, label="data_dir", info="data_dir_help", elem_id="eval-data-dir")
            group_by = text.register(
                gr.Radio(["subject", "difficulty"], value="subject", label=text.text("group_by")),
                label="group_by",
            )
        exam_file = text.add(
            gr.File,
            label="exam_file",
            file_types=[".csv", ".jsonl"],
            type="filepath",
            elem_id="eval-file",
            height=120,
            visible=False,
        )
        with gr.Row():
            method = text.register(
                gr.Radio(
                    METHOD_CHOICES,
    PROMPT_STYLE_CHOICES,
                    value="loglik",
                    label=text.text("method"),
                    info=text.text("method_help"),
                    elem_id="eval-method",
                ),
                label="method",
                info="method_help",
            )
            shots = text.register(
                gr.Slider(0, 5, value=0, step=1, label=text.text("shots"), info=text.text("shots_help")),
                label="shots",
                info="shots_help",
            )
            limit = text.register(
                gr.Number(
                    value=0, precision=0, minimum=0, label=text.text("limit"), info=text.text("limit_help")
                ),
                label="limit",
                info="limit_help",
            )
        with gr.Row():
            prompt_style = text.register(
                gr.Radio(
                    PROMPT_STYLE_CHOICES,
                    value="chat",
                    label=text.text("prompt_style"),
                    info=text.text("prompt_style_help"),
                    elem_id="eval-prompt-style",
                ),
                label="prompt_style",
                info="prompt_style_help",
            )
            trust = text.add(
                gr.Checkbox, label="trust", info="trust_info", value=False, elem_id="eval-trust-remote-code"
            )
        with text.add(gr.Accordion, label="endpoint", open=False):
            with gr.Row():
                base_url = text.add(gr.Textbox, label="base_url", placeholder="base_url_hint")
                endpoint_model = text.add(
                    gr.Textbox, label="endpoint_model", placeholder="endpoint_model_hint"
                )
                api_key = text.add(gr.Textbox, label="api_key", info="api_key_help", type="password")
    with gr.Row():
        run_button = text.add(gr.Button, value="run", variant="primary", elem_id="eval-run")
        stop_button = text.add(gr.Button, value="stop", variant="stop", elem_id="eval-stop")
        refresh_button = text.add(gr.Button, value="refresh", elem_id="eval-refresh")
    status = gr.Markdown(elem_id="eval-status")
    bar = gr.HTML(elem_id="eval-progress")
    results = text.register(
        gr.Dataframe(
            headers=browse.RESULT_COLUMNS,
            interactive=False,
            label=text.text("results"),
            elem_id="eval-results",
        ),
        label="results",
    )

    text.markdown("compare_title")
    with gr.Row():
        picks = text.register(
            gr.Dropdown(
                browse.eval_choices(),
                multiselect=True,
                label=text.text("compare_pick"),
                elem_id="eval-compare-pick",
                scale=3,
            ),
            label="compare_pick",
        )
        metric = text.register(
            gr.Radio(
                [("macro-F1", "macro_f1"), ("accuracy", "accuracy")],
                value="macro_f1",
                label=text.text("metric"),
            ),
            label="metric",
        )
        average = text.register(
            gr.Radio(
                [("pooled", "average"), ("mean", "mean")],
                value="average",
                label=text.text("average"),
                info=text.text("average_help"),
            ),
            label="average",
            info="average_help",
        )
    table = gr.Markdown(elem_id="eval-compare-table")
    with gr.Row():
        downloads = [
            gr.DownloadButton(name, value=None, size="sm") for name in ("CSV", "Markdown", "LaTeX", "JSON")
        ]

    text.markdown("inspect_title")
    with gr.Row():
        inspect_eval = text.register(
            gr.Dropdown(
                browse.eval_choices(), label=text.text("inspect_pick"), elem_id="eval-inspect-pick", scale=3
            ),
            label="inspect_pick",
        )
        subset = text.register(gr.Dropdown(["all"], value="all", label=text.text("subset")), label="subset")
        which = text.register(
            gr.Radio(list(browse.QUESTION_FILTERS), value="all", label=text.text("which")), label="which"
        )
    heatmap = gr.Plot(elem_id="eval-heatmap")
    questions = text.register(
        gr.Dataframe(
            headers=browse.QUESTION_COLUMNS,
            interactive=False,
            max_height=320,
            label=text.text("questions"),
            elem_id="eval-questions",
        ),
        label="questions",
    )
    detail = gr.Markdown(elem_id="eval-question-detail")
    with gr.Row():
        prompt = text.add(gr.Textbox, label="prompt", lines=8, max_lines=20, elem_id="eval-prompt")
        raw = text.add(gr.Textbox, label="raw", lines=8, max_lines=20, elem_id="eval-raw")

    text.markdown("contamination_title")
    with gr.Row():
        datasets = text.register(
            gr.Dropdown(
                [], multiselect=True, label=text.text("datasets"), scale=3, elem_id="eval-contam-datasets"
            ),
            label="datasets",
        )
        ngram = text.register(gr.Slider(8, 50, value=20, step=1, label=text.text("ngram")), label="ngram")
        threshold = text.register(
            gr.Slider(0.1, 1.0, value=0.5, step=0.05, label=text.text("threshold")), label="threshold"
        )
    contam_button = text.add(gr.Button, value="contamination_run", elem_id="eval-contam-run")
    contam_summary = gr.Markdown(elem_id="eval-contam-summary")
    contam_table = text.register(
        gr.Dataframe(
            headers=["overlap", "id", "sub-category", "question", "dataset", "record"],
            interactive=False,
            wrap=True,
            label=text.text("flagged"),
        ),
        label="flagged",
    )
    timer = gr.Timer(2.0)

    # ---- wiring ----
    run_button.click(
        start_eval,
        [
            model,
            adapter,
            label,
            benchmark,
            exam_file,
            data_dir,
            group_by,
            method,
            shots,
            limit,
            base_url,
            endpoint_model,
            api_key,
            lang,
            prompt_style,
            trust,
        ],
        [run_id, status],
    )
    stop_button.click(stop, [run_id, lang], status)
    adapter.change(follow_adapter, [adapter, model], model)
    benchmark.change(lambda name: gr.update(visible=name == FILE_CHOICE), benchmark, exam_file)
    timer.tick(
        poll,
        [run_id, seen, lang],
        [run_id, status, bar, results, seen, picks, inspect_eval],
        show_progress="hidden",
    )
    lists = [adapter, picks, inspect_eval, datasets]
    refresh_button.click(refresh_lists, None, lists)
    for trigger in (picks.change, metric.change, average.change):
        trigger(compare, [picks, metric, average, lang], [table, *downloads])
    # The language too: the question list names each answer's reading rule in it.
    for trigger in (inspect_eval.change, subset.change, which.change, lang.change):
        trigger(inspect, [inspect_eval, subset, which, lang], [heatmap, subset, questions])
    questions.select(show_question, [inspect_eval, questions, lang], [detail, prompt, raw])
    contam_button.click(
        check_contamination,
        [datasets, benchmark, exam_file, data_dir, group_by, ngram, threshold, lang],
        [contam_summary, contam_table],
    )
    # Lists are read afresh on every page load, so runs finished elsewhere (CLI, another tab) show up.
    if Context.root_block is not None:
        Context.root_block.load(refresh_lists, None, lists)
