"""Data tab: generate instruction data with a teacher LLM (preview first, then a job with live progress),
import public sets, and browse, mix, export or delete datasets. Layout and wiring here; the Generate
handlers in pages/data_handlers.py, the Import and Datasets ones in pages/data_datasets.py, the work in
chemtune.datagen. Every generate and import option's widget is made from its declaration
(chemtune/datagen/config.py), so the tab and the CLI offer the same options with the same defaults."""

from __future__ import annotations

from functools import partial
from typing import Any

import gradio as gr

from chemtune import options
from chemtune.datagen.config import GenerateConfig, ImportConfig
from pages import data_datasets as d
from pages import data_handlers as h
from pages.data_form import headers, rows_of, table
from pages.data_text import (
    EXPORT_FORMATS,
    FAILURE_COLUMNS,
    MIX_COLUMNS,
    OVERVIEW_COLUMNS,
    PREVIEW_COLUMNS,
    PRICE_COLUMNS,
    ROW_COLUMNS,
    SOURCE_KINDS,
    STRINGS,
)
from pages.i18n import PageText
from pages.widgets import by_name, option_widget

__all__ = ["STRINGS", "build"]
# The one declared option with no widget of its own: it is made from the source inputs.
COMPOSED = {"source": h.SOURCE_INPUTS}
Widgets = dict[str, Any]


def _option(text: PageText, name: str, config: type | None = None, prefix: str = "gen", **overrides: Any):
    """A declared option's widget. Numbers carry no browser-side bounds: the declaration's own check
    refuses a bad value, naming the option, in the same words as the CLI."""
    config = config or GenerateConfig
    if options.describe(config, name)["kind"] in ("int", "float"):
        overrides = {"minimum": None, "maximum": None, **overrides}
    return option_widget(text, config, name, prefix, **overrides)


def _declared(text: PageText, cls: type, name: str, prefix: str = "gen", *, with_help: bool = True,
              **kwargs: Any):
    """A component of our choosing (a picker, a table) labelled from a declared option."""
    ids = {"label": f"{prefix}_{name}", **({"info": f"{prefix}_{name}_help"} if with_help else {})}
    component = cls(**{key: text.text(value) for key, value in ids.items()},
                    elem_id=f"{prefix}-{name.replace('_', '-')}", **kwargs)
    return text.register(component, **ids)


def _relabel(columns: tuple[str, ...], value: Any, lang: str):
    """A table's rows again, under headers in the new language."""
    return table(rows_of(value), columns, lang)


def _follow_language(text: PageText, frame: Any, columns: tuple[str, ...]) -> None:
    text.on_language(partial(_relabel, columns), [frame, text.language], frame)


# ---- Generate ---------------------------------------------------------------------------------------


def _task_section(text: PageText) -> Widgets:
    from chemtune.datagen.tasks import TASKS

    first = TASKS["summarize_extract"]
    with gr.Row():
        task = _declared(text, gr.Dropdown, "task", choices=h.task_choices(text.lang), value=first.name)
        lang = _option(text, "lang", radio=True, value=first.default_lang)
        prop = _option(text, "property", value="water_uptake", visible=False)
    instruction = _option(text, "instruction", lines=4, max_lines=20,
                          value=first.instruction_text(first.default_lang))
    problems = h.task_problems()
    with text.add(gr.Accordion, label="own_task", open=bool(problems)):
        own_name = text.add(gr.Textbox, label="own_name", max_lines=1)
        own_instruction = text.add(gr.Textbox, label="own_instruction", lines=3)
        own_keys = text.add(gr.Textbox, label="own_keys", max_lines=1)
        own_save = text.add(gr.Button, value="own_save", size="sm")
        own_status = gr.Markdown(problems)

    task.change(h.task_language, task, lang, api_visibility="private")
    for trigger in (task, lang, prop):
        trigger.change(h.fill_instruction, [task, lang, prop], [instruction, prop], api_visibility="private")
    own_save.click(h.save_task, [own_name, own_instruction, own_keys, text.language], [own_status, task],
                   api_visibility="private")
    text.on_language(h.retitle_tasks, text.language, task)
    return {"task": task, "lang": lang, "property": prop, "instruction": instruction}


def _source_section(text: PageText) -> Widgets:
    kind = text.register(gr.Radio(choices=text.choices(SOURCE_KINDS), value="paste",
                                  label=text.text("source"), elem_id="data-source-kind"),
                         label="source", choices=SOURCE_KINDS)
    pasted = text.add(gr.Textbox, label="pasted", lines=6, elem_id="data-pasted")
    with gr.Row():
        upload = text.add(gr.File, label="upload", type="filepath", visible=False, scale=2, height=140,
                          file_types=[".txt", ".md", ".jsonl", ".json", ".csv", ".pdf"])
        hf_id = text.add(gr.Textbox, label="hf_id", visible=False, max_lines=1)
        split = _option(text, "split", visible=False)
        column = _declared(text, gr.Dropdown, "text_column", choices=[], value=None, allow_custom_value=True,
                           visible=False)
    limit = _option(text, "limit")
    kind.change(h.source_inputs, kind, [pasted, upload, hf_id, split, column], api_visibility="private")
    upload.change(h.file_columns, upload, column, api_visibility="private")
    return {"kind": kind, "pasted": pasted, "upload": upload, "hf_id": hf_id, "split": split,
            "text_column": column, "limit": limit}


def _teacher_section(text: PageText) -> Widgets:
    text.markdown("llm")
    widgets = {name: _option(text, name) for name in ("base_url", "model")}
    widgets["api_key"] = text.add(gr.Textbox, label="api_key", type="password", max_lines=1,
                                  elem_id="data-api-key")
    with gr.Row():
        widgets |= {name: _option(text, name) for name in ("temperature", "concurrency")}
    with gr.Row():
        widgets |= {name: _option(text, name) for name in ("max_tokens", "timeout", "json_mode")}
    with gr.Row():
        widgets |= {name: _option(text, name) for name in ("dedup", "dedup_threshold")}
    widgets["batch_api"] = _option(text, "batch_api")
    with text.add(gr.Accordion, label="retries", open=False):
        with gr.Row():
            widgets |= {name: _option(text, name)
                        for name in ("max_attempts", "backoff_s", "max_backoff_s", "batch_poll_s")}
    widgets["prices"] = _declared(text, gr.Dataframe, "prices", with_help=False,
                                  value=h.price_rows(lang=text.lang),
                                  datatype=["str", "number", "number"], interactive=True, max_height=200)
    _follow_language(text, widgets["prices"], PRICE_COLUMNS)
    return widgets


def _run_section(text: PageText, form: Widgets):
    with gr.Row(equal_height=True):
        preview_n = text.add(gr.Slider, label="preview_n", minimum=1, maximum=10, step=1, value=3, scale=2)
        preview_btn = text.add(gr.Button, value="preview", elem_id="data-preview", scale=1)
    preview_status = gr.Markdown(elem_id="data-preview-status")
    preview_table = gr.Dataframe(headers=headers(PREVIEW_COLUMNS, text.lang), interactive=False, wrap=True,
                                 max_height=420, column_widths=["24%", "22%", "34%", "6%", "14%"],
                                 elem_id="data-preview-table")
    with gr.Row(equal_height=True):
        out = _option(text, "out", scale=2)
        overwrite = _option(text, "overwrite", scale=0)
        run_btn = text.add(gr.Button, value="run", variant="primary", scale=1, elem_id="data-run")
        abort_btn = text.add(gr.Button, value="abort", variant="stop", scale=0, size="sm")
    run_status = gr.Markdown(elem_id="data-run-status")
    bar = gr.HTML()
    run_id = gr.State(None)

    form = {**form, "out": out, "overwrite": overwrite, "language": text.language}
    preview_btn.click(*by_name(h.run_preview, {**form, "preview_n": preview_n}),
                      outputs=[preview_status, preview_table], api_visibility="private")
    run_btn.click(*by_name(h.start_run, form), outputs=[run_id, run_status], api_visibility="private")
    abort_btn.click(h.abort_run, run_id, None, api_visibility="private")
    _follow_language(text, preview_table, PREVIEW_COLUMNS)
    return run_id, run_status, bar


def _more_options(text: PageText, placed: Widgets) -> Widgets:
    """Declared options no section places (a newly declared one): they get their widget here."""
    rest = [name for name in GenerateConfig.model_fields if name not in placed and name not in COMPOSED
            and name not in ("out", "overwrite")]
    if not rest:
        return {}
    with text.add(gr.Accordion, label="more_options", open=False):
        return {name: _option(text, name) for name in rest}


def _generate_tab(text: PageText):
    with gr.Row():
        with gr.Column(scale=3):
            form = _task_section(text) | _source_section(text)
        with gr.Column(scale=2):
            form |= _teacher_section(text)
            form |= _more_options(text, form)
    return _run_section(text, form)


# ---- Import -----------------------------------------------------------------------------------------


def _import_tab(text: PageText) -> tuple[Any, Any, Widgets]:
    """The import form: its button, status line and named inputs (wired in build, which has the overview)."""
    def imp(name: str, **overrides: Any):
        return _option(text, name, ImportConfig, "imp", **overrides)

    with gr.Row():
        upload = text.add(gr.File, label="import_file", type="filepath",
                          file_types=[".jsonl", ".json", ".csv"])
        with gr.Column():
            hf_id = text.add(gr.Textbox, label="import_hf", max_lines=1)
            with gr.Row():
                form = {"format": imp("format"), "split": imp("split"), "limit": imp("limit")}
            text.markdown("import_help")
    with gr.Row(equal_height=True):
        name = text.add(gr.Textbox, label="import_name", max_lines=1)
        form |= {"dedup": imp("dedup"), "dedup_threshold": imp("dedup_threshold")}
        go = text.add(gr.Button, value="import_go", variant="primary")
    status = gr.Markdown()
    return go, status, {**form, "upload": upload, "hf_id": hf_id, "name": name, "language": text.language}


# ---- Datasets ---------------------------------------------------------------------------------------


def _overview_section(text: PageText):
    with gr.Row(equal_height=True):
        text.markdown("all_datasets")
        refresh = text.add(gr.Button, value="refresh", size="sm", scale=0, elem_id="data-refresh")
    overview = gr.Dataframe(headers=headers(OVERVIEW_COLUMNS, text.lang), interactive=False, max_height=260,
                            elem_id="data-overview")
    with gr.Row(equal_height=True):
        picker = text.add(gr.Dropdown, label="dataset", choices=[], scale=3, elem_id="data-picker")
        page = text.add(gr.Number, label="page", value=1, precision=0, minimum=1, scale=1)
    refresh.click(d.refresh_datasets, [picker, text.language], [overview, picker], api_visibility="private")
    text.on_language(d.refresh_datasets, [picker, text.language], [overview, picker],
                         api_visibility="private")
    return overview, picker, page


def _view_section(text: PageText, picker: Any, page: Any) -> None:
    summary = gr.Markdown(elem_id="data-summary")
    with gr.Row():
        counts_plot = text.add(gr.Plot, label="counts_plot", scale=1)
        lengths_plot = text.add(gr.Plot, label="lengths_plot", scale=2)
    rows = text.register(gr.Dataframe(headers=headers(ROW_COLUMNS, text.lang), interactive=False, wrap=True,
                                      max_height=400, label=text.text("rows"),
                                      column_widths=["9%", "10%", "5%", "24%", "24%", "20%", "8%"]),
                         label="rows")
    failures = text.register(gr.Dataframe(headers=headers(FAILURE_COLUMNS, text.lang), interactive=False,
                                          wrap=True, max_height=260, label=text.text("failures")),
                             label="failures")
    view = [summary, counts_plot, lengths_plot, rows, failures]
    for trigger in (picker.change, page.change, text.on_language):
        trigger(d.show_dataset, [picker, page, text.language], view, api_visibility="private")


def _export_section(text: PageText, picker: Any) -> None:
    lang = text.language
    with text.add(gr.Accordion, label="export", open=False):
        with gr.Row(equal_height=True):
            fmt = text.register(gr.Dropdown(choices=text.choices(EXPORT_FORMATS), value="alpaca",
                                            label=text.text("export_format")),
                                label="export_format", choices=EXPORT_FORMATS)
            export_btn = text.add(gr.Button, value="export_file")
            download = text.add(gr.File, label="download", interactive=False)
        with gr.Row(equal_height=True):
            disk_path = text.add(gr.Textbox, label="disk_path", max_lines=1)
            disk_btn = text.add(gr.Button, value="save_disk")
        with gr.Row(equal_height=True):
            hub = {"repo": text.add(gr.Textbox, label="hub_repo", max_lines=1),
                   "token": text.add(gr.Textbox, label="hub_token", type="password", max_lines=1),
                   "private": text.add(gr.Checkbox, label="hub_private", value=True)}
            push_btn = text.add(gr.Button, value="push")
        status = gr.Markdown()
    export_btn.click(d.export_file, [picker, fmt, lang], [download, status], api_visibility="private")
    disk_btn.click(d.save_disk, [picker, disk_path, lang], status, api_visibility="private")
    push_btn.click(*by_name(d.push, {**hub, "dataset": picker, "language": lang}), outputs=status,
                   api_visibility="private")


def _mixture_section(text: PageText, overview: Any, picker: Any) -> None:
    with text.add(gr.Accordion, label="mixture", open=False):
        parts = text.register(gr.Dataframe(
            value=table([["sample", "en", "", 1.0], ["sample", "ko", "", 1.0]], MIX_COLUMNS, text.lang),
            datatype=["str", "str", "str", "number"], interactive=True, row_count=2,
            label=text.text("mixture_parts")), label="mixture_parts")
        with gr.Row(equal_height=True):
            form = {"parts": parts, "name": text.add(gr.Textbox, label="mixture_name", max_lines=1),
                    "seed": text.add(gr.Number, label="mixture_seed", value=0, precision=0),
                    "language": text.language}
            mix_btn = text.add(gr.Button, value="mixture_go")
        status = gr.Markdown()
    mix_btn.click(*by_name(d.build_mix, form), outputs=[status, overview, picker], api_visibility="private")
    _follow_language(text, parts, MIX_COLUMNS)


def _delete_section(text: PageText, overview: Any, picker: Any) -> None:
    with gr.Row(equal_height=True):
        confirm = text.add(gr.Checkbox, label="delete_confirm", value=False)
        delete_btn = text.add(gr.Button, value="delete", variant="stop", size="sm")
    status = gr.Markdown()
    delete_btn.click(d.delete_dataset, [picker, confirm, text.language], [status, overview, picker, confirm],
                     api_visibility="private")


def _datasets_tab(text: PageText):
    overview, picker, page = _overview_section(text)
    _view_section(text, picker, page)
    _export_section(text, picker)
    _mixture_section(text, overview, picker)
    _delete_section(text, overview, picker)
    return overview, picker


def build(text: PageText) -> None:
    text.markdown("intro")
    with gr.Tabs():
        with text.add(gr.Tab, label="generate_tab", elem_id="data-generate-tab"):
            run_id, run_status, bar = _generate_tab(text)
        with text.add(gr.Tab, label="import_tab", elem_id="data-import-tab"):
            go, import_status, import_form = _import_tab(text)
        datasets_tab = text.add(gr.Tab, label="datasets_tab", elem_id="data-datasets-tab")
        with datasets_tab:
            overview, picker = _datasets_tab(text)

    go.click(*by_name(d.do_import, import_form), outputs=[import_status, overview, picker],
             api_visibility="private")
    datasets_tab.select(d.refresh_datasets, [picker, text.language], [overview, picker],
                        api_visibility="private")
    seen = gr.State(None)
    gr.Timer(2.0).tick(h.poll, [run_id, seen, text.language],
                       [run_id, run_status, bar, seen, overview, picker],
                       api_visibility="private", show_progress="hidden")
