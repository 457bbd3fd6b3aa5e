"""Data tab: generate instruction data with a teacher LLM (preview first, then a job with live progress),
import public sets, and browse, mix, export or delete datasets. Layout here, handlers in
pages/data_handlers.py, the work in chemtune.datagen."""

from __future__ import annotations

import gradio as gr

from chemtune.datagen.dedup import DEFAULT_THRESHOLD
from pages import data_handlers as h
from pages.data_text import STRINGS
from pages.i18n import PageText

__all__ = ["STRINGS", "build"]


def _fixed(text: PageText, cls: type, label: str, info: str | None = None, **kwargs):
    """A component whose value is data (not a string id): only its label (and info) are translated."""
    ids = {"label": label, **({"info": info} if info else {})}
    component = cls(**{key: text.text(value) for key, value in ids.items()}, **kwargs)
    return text.register(component, **ids)


def _generate_tab(text: PageText):
    from chemtune.datagen.client import DEFAULT_BASE_URL, DEFAULT_MODEL, DEFAULT_PRICES
    from chemtune.datagen.tasks import PROPERTIES, TASKS

    first = TASKS["summarize_extract"]
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row():
                task = _fixed(text, gr.Dropdown, "task", info="task_help", choices=h.task_choices(text.lang),
                              value=first.name, elem_id="data-task")
                lang = _fixed(text, gr.Radio, "lang", choices=["en", "ko"], value=first.default_lang,
                              elem_id="data-lang")
                prop = _fixed(text, gr.Dropdown, "property", choices=list(PROPERTIES), value="water_uptake",
                              visible=False)
            instruction = text.register(gr.Textbox(label=text.text("instruction"), lines=4,
                                                   value=first.instruction_text(first.default_lang),
                                                   elem_id="data-instruction"), label="instruction")
            problems = h.task_problems()
            with text.add(gr.Accordion, label="own_task", open=bool(problems)):
                own_name = text.add(gr.Textbox, label="own_name", max_lines=1)
                own_instruction = text.add(gr.Textbox, label="own_instruction", lines=3)
                own_keys = text.add(gr.Textbox, label="own_keys", max_lines=1)
                own_save = text.add(gr.Button, value="own_save", size="sm")
                own_status = gr.Markdown(problems)
            kind = gr.Radio(choices=[(text.text("src_paste"), "paste"), (text.text("src_file"), "file"),
                                     (text.text("src_hf"), "hf")], value="paste", label=text.text("source"),
                            elem_id="data-source-kind")
            text.register(kind, label="source")
            pasted = text.add(gr.Textbox, label="pasted", lines=6, elem_id="data-pasted")
            with gr.Row():
                upload = text.add(gr.File, label="upload", type="filepath", visible=False, scale=2,
                                  height=140, file_types=[".txt", ".md", ".jsonl", ".json", ".csv", ".pdf"])
                hf_id = text.add(gr.Textbox, label="hf_id", visible=False, max_lines=1)
                hf_split = text.register(gr.Textbox(label=text.text("hf_split"), value="train", visible=False,
                                                    max_lines=1), label="hf_split")
                column = text.add(
                    gr.Dropdown, label="column", choices=[], allow_custom_value=True, visible=False
                )
        with gr.Column(scale=2):
            text.markdown("llm")
            base_url = text.register(
                gr.Textbox(
                    label=text.text("base_url"), value=DEFAULT_BASE_URL, max_lines=1, elem_id="data-base-url"
                ),
                label="base_url",
            )
            model = text.register(
                gr.Textbox(label=text.text("model"), value=DEFAULT_MODEL, max_lines=1, elem_id="data-model"),
                label="model",
            )
            api_key = text.add(
                gr.Textbox, label="api_key", type="password", max_lines=1, elem_id="data-api-key"
            )
            with gr.Row():
                temperature = text.add(
                    gr.Slider, label="temperature", minimum=0, maximum=2, step=0.1, value=0
                )
                concurrency = text.add(gr.Slider, label="concurrency", minimum=1, maximum=64, step=1, value=8)
            max_tokens = text.add(gr.Number, label="max_tokens", value=1024, precision=0, minimum=16)
            with gr.Row():
                dedup = text.add(gr.Checkbox, label="dedup", value=True)
                threshold = text.add(
                    gr.Slider, label="threshold", minimum=0.5, maximum=1.0, step=0.01, value=DEFAULT_THRESHOLD
                )
            batch_api = text.add(gr.Checkbox, label="batch_api", info="batch_api_help", value=False)
            prices = text.register(
                gr.Dataframe(
                    value=[[name, p["input"], p["output"]] for name, p in DEFAULT_PRICES.items()],
                    headers=h.PRICE_HEADERS,
                    datatype=["str", "number", "number"],
                    interactive=True,
                    label=text.text("prices"),
                    max_height=200,
                ),
                label="prices",
            )
    with gr.Row(equal_height=True):
        preview_n = text.add(gr.Slider, label="preview_n", minimum=1, maximum=10, step=1, value=3, scale=2)
        preview_btn = text.add(gr.Button, value="preview", elem_id="data-preview", scale=1)
    preview_status = gr.Markdown(elem_id="data-preview-status")
    preview_table = gr.Dataframe(
        headers=h.PREVIEW_HEADERS,
        interactive=False,
        wrap=True,
        max_height=420,
        column_widths=["24%", "22%", "34%", "6%", "14%"],
        elem_id="data-preview-table",
    )
    with gr.Row(equal_height=True):
        name = text.add(gr.Textbox, label="name", max_lines=1, scale=2, elem_id="data-name")
        run_btn = text.add(gr.Button, value="run", variant="primary", scale=1, elem_id="data-run")
        abort_btn = text.add(gr.Button, value="abort", variant="stop", scale=0, size="sm")
    run_status = gr.Markdown(elem_id="data-run-status")
    bar = gr.HTML()
    run_id, seen = gr.State(None), gr.State(None)

    settings = [task, lang, prop, instruction, base_url, model, temperature, concurrency, max_tokens, dedup,
                threshold, prices, batch_api]
    source = [kind, pasted, upload, column, hf_id, hf_split]
    task.change(h.task_language, task, lang, api_visibility="private")
    text.language.change(h.source_choices, text.language, kind, api_visibility="private")
    for trigger in (task, lang, prop):
        trigger.change(h.fill_instruction, [task, lang, prop], [instruction, prop], api_visibility="private")
    kind.change(
        lambda k: (
            gr.update(visible=k == "paste"),
            gr.update(visible=k == "file"),
            gr.update(visible=k == "hf"),
            gr.update(visible=k == "hf"),
            gr.update(visible=k != "paste"),
        ),
        kind,
        [pasted, upload, hf_id, hf_split, column],
        api_visibility="private",
    )
    upload.change(h.file_columns, upload, column, api_visibility="private")
    own_save.click(
        h.save_task,
        [own_name, own_instruction, own_keys, text.language],
        [own_status, task],
        api_visibility="private",
    )
    preview_btn.click(
        h.run_preview,
        [preview_n, api_key, text.language, *source, *settings],
        [preview_status, preview_table],
        api_visibility="private",
    )
    run_btn.click(
        h.start_run,
        [name, api_key, text.language, *source, *settings],
        [run_id, run_status],
        api_visibility="private",
    )
    abort_btn.click(h.abort_run, run_id, None, api_visibility="private")
    return run_id, seen, run_status, bar


def _import_tab(text: PageText):
    from chemtune.datagen.importers import KINDS

    with gr.Row():
        upload = text.add(
            gr.File, label="import_file", type="filepath", file_types=[".jsonl", ".json", ".csv"]
        )
        with gr.Column():
            hf_id = text.add(gr.Textbox, label="import_hf", max_lines=1)
            fmt = _fixed(text, gr.Dropdown, "import_format", choices=list(KINDS), value="auto")
            text.markdown("import_help")
    with gr.Row(equal_height=True):
        name = text.add(gr.Textbox, label="import_name", max_lines=1)
        dedup = text.add(gr.Checkbox, label="import_dedup", value=True)
        go = text.add(gr.Button, value="import_go", variant="primary")
    status = gr.Markdown()
    return upload, hf_id, fmt, name, dedup, go, status


def _datasets_tab(text: PageText):
    with gr.Row(equal_height=True):
        text.markdown("all_datasets")
        refresh = text.add(gr.Button, value="refresh", size="sm", scale=0, elem_id="data-refresh")
    overview = gr.Dataframe(
        headers=h.OVERVIEW_HEADERS, interactive=False, max_height=260, elem_id="data-overview"
    )
    with gr.Row(equal_height=True):
        picker = text.add(gr.Dropdown, label="dataset", choices=[], scale=3, elem_id="data-picker")
        page = text.add(gr.Number, label="page", value=1, precision=0, minimum=1, scale=1)
    summary = gr.Markdown(elem_id="data-summary")
    with gr.Row():
        counts_plot, lengths_plot = gr.Plot(scale=1), gr.Plot(scale=2)
    rows = text.register(
        gr.Dataframe(
            headers=h.ROW_HEADERS,
            interactive=False,
            wrap=True,
            max_height=400,
            column_widths=["9%", "10%", "5%", "24%", "24%", "20%", "8%"],
            label=text.text("rows"),
        ),
        label="rows",
    )
    failures = text.register(
        gr.Dataframe(
            headers=h.FAILURE_HEADERS,
            interactive=False,
            wrap=True,
            max_height=260,
            label=text.text("failures"),
        ),
        label="failures",
    )
    with text.add(gr.Accordion, label="export", open=False):
        with gr.Row(equal_height=True):
            fmt = _fixed(
                text,
                gr.Dropdown,
                "export_format",
                choices=["alpaca", "sharegpt", "messages", "chemtune"],
                value="alpaca",
            )
            export_btn = text.add(gr.Button, value="export_file")
            download = gr.File(interactive=False)
        with gr.Row(equal_height=True):
            disk_path = text.add(gr.Textbox, label="disk_path", max_lines=1)
            disk_btn = text.add(gr.Button, value="save_disk")
        with gr.Row(equal_height=True):
            repo = text.add(gr.Textbox, label="hub_repo", max_lines=1)
            token = text.add(gr.Textbox, label="hub_token", type="password", max_lines=1)
            private = text.add(gr.Checkbox, label="hub_private", value=True)
            push_btn = text.add(gr.Button, value="push")
        export_status = gr.Markdown()
    with text.add(gr.Accordion, label="mixture", open=False):
        parts = text.register(
            gr.Dataframe(
                value=[["sample", "en", "", 1.0], ["sample", "ko", "", 1.0]],
                headers=h.MIX_HEADERS,
                datatype=["str", "str", "str", "number"],
                interactive=True,
                row_count=2,
                label=text.text("mixture_parts"),
            ),
            label="mixture_parts",
        )
        with gr.Row(equal_height=True):
            mix_name = text.add(gr.Textbox, label="mixture_name", max_lines=1)
            seed = text.add(gr.Number, label="mixture_seed", value=0, precision=0)
            mix_btn = text.add(gr.Button, value="mixture_go")
        mix_status = gr.Markdown()
    with gr.Row(equal_height=True):
        confirm = text.add(gr.Checkbox, label="delete_confirm", value=False)
        delete_btn = text.add(gr.Button, value="delete", variant="stop", size="sm")
    delete_status = gr.Markdown()

    lang = text.language
    view = [summary, counts_plot, lengths_plot, rows, failures]
    refresh.click(h.refresh_datasets, picker, [overview, picker], api_visibility="private")
    picker.change(h.show_dataset, [picker, page, lang], view, api_visibility="private")
    page.change(h.show_dataset, [picker, page, lang], view, api_visibility="private")
    export_btn.click(h.export_file, [picker, fmt, lang], [download, export_status], api_visibility="private")
    disk_btn.click(h.save_disk, [picker, disk_path, lang], export_status, api_visibility="private")
    push_btn.click(h.push, [picker, repo, token, private, lang], export_status, api_visibility="private")
    mix_btn.click(
        h.build_mix, [parts, mix_name, seed, lang], [mix_status, overview, picker], api_visibility="private"
    )
    delete_btn.click(
        h.delete_dataset,
        [picker, confirm, lang],
        [delete_status, overview, picker, confirm],
        api_visibility="private",
    )
    return overview, picker


def build(text: PageText) -> None:
    text.markdown("intro")
    with gr.Tabs():
        with text.add(gr.Tab, label="generate_tab", elem_id="data-generate-tab"):
            run_id, seen, run_status, bar = _generate_tab(text)
        with text.add(gr.Tab, label="import_tab", elem_id="data-import-tab"):
            upload, hf_id, fmt, name, dedup, go, import_status = _import_tab(text)
        datasets_tab = text.add(gr.Tab, label="datasets_tab", elem_id="data-datasets-tab")
        with datasets_tab:
            overview, picker = _datasets_tab(text)

    go.click(
        h.do_import,
        [upload, hf_id, fmt, name, dedup, text.language],
        [import_status, overview, picker],
        api_visibility="private",
    )
    datasets_tab.select(h.refresh_datasets, picker, [overview, picker], api_visibility="private")
    timer = gr.Timer(2.0)
    timer.tick(
        h.poll,
        [run_id, seen, text.language],
        [run_id, run_status, bar, seen, overview, picker],
        api_visibility="private",
        show_progress="hidden",
    )
