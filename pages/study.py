"""The Study tab: open a template or YAML (or build one from pickers), see the plan, start it, follow the
cells, read the tables. Everything is read from the study's folder, so a refresh or restart reattaches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from chemtune.errors import ChemtuneError
from pages.i18n import PageText
from pages.study_strings import STRINGS

__all__ = ["STRINGS", "build"]

TEMPLATE_LABELS = {"paper": "template_paper", "paper-mini": "template_paper_mini"}
VIEW_LABELS = {"all": "view_all", "size": "view_size", "tuning-data": "view_tuning",
               "original-vs-chat": "view_chat"}
CELL_COLUMNS = ("col_kind", "col_model", "col_condition", "col_seed", "col_benchmark", "col_status",
                "col_run", "col_error")
FORMAT_EXTENSIONS = {"markdown": "md", "latex": "tex", "csv": "csv", "json": "json"}


class Handlers:
    """The tab's event handlers; each calls chemtune.study and answers in the page's language."""

    def __init__(self, text: PageText) -> None:
        self.text = text

    def t(self, key: str, lang: str | None, **blanks: Any) -> str:
        return self.text.text(key, lang=lang if lang in ("en", "ko") else "en", **blanks)

    def error(self, error: Exception, lang: str | None) -> str:
        """An error in the page's language where its source gave a Korean text too."""
        detail = getattr(error, "ko", None) if lang == "ko" else None
        return self.t("error", lang, error=detail or error)

    # -- choices
    def template_choices(self, lang: str | None) -> list[tuple[str, str]]:
        from chemtune.study.config import templates

        return [(self.t(TEMPLATE_LABELS[n], lang) if n in TEMPLATE_LABELS else n, n) for n in templates()]

    def benchmark_choices(self, lang: str | None) -> list[tuple[str, str]]:
        """The Evaluate tab's benchmarks: each exam, and each task benchmark the workspace offers."""
        from pages.i18n import translate_choices
        from pages.widgets import benchmark_ids

        return translate_choices(STRINGS, benchmark_ids(), lang if lang in ("en", "ko") else "en")

    def view_choices(self, lang: str | None) -> list[tuple[str, str]]:
        return [(self.t(key, lang), view) for view, key in VIEW_LABELS.items()]

    def metric_choices(self, lang: str | None) -> list[tuple[str, str]]:
        from chemtune.study.render import metric_name
        from chemtune.study.tables import TASK_METRICS

        return [(self.t("metric_f1", lang), "macro_f1"), (self.t("metric_accuracy", lang), "accuracy"),
                *((metric_name(m, lang or "en"), m) for m in TASK_METRICS)]

    def study_choices(self, lang: str | None) -> list[tuple[str, str]]:
        from chemtune.study.runner import list_studies

        return [(f"{row['study_id']} · {self.status_word(row.get('status'), lang)}", row["study_id"])
                for row in list_studies()]

    def status_word(self, status: str | None, lang: str | None) -> str:
        key = f"st_{status}"
        return self.t(key, lang) if key in STRINGS else str(status)

    def relabel(self, lang: str, template: str, view: str, metric: str, study: str | None,
                benchmarks: list) -> tuple:
        return (gr.update(choices=self.template_choices(lang), value=template),
                gr.update(choices=self.benchmark_choices(lang), value=benchmarks),
                gr.update(choices=self.view_choices(lang), value=view),
                gr.update(choices=self.metric_choices(lang), value=metric),
                gr.update(choices=self.study_choices(lang), value=study))

    # -- writing the study
    def open_template(self, name: str) -> str:
        from chemtune.study.config import template_text

        return template_text(name) if name else ""

    def open_upload(self, path: str | None) -> Any:
        return Path(path).read_text(encoding="utf-8") if path else gr.skip()

    def compose(self, values: dict[str, Any]) -> str:
        """The pickers as a study YAML (the editor then holds what will run)."""
        import yaml

        conditions: dict[str, list[str]] = {"none": []} if values.get("untuned", True) else {}
        for line in str(values["conditions"] or "").splitlines():
            name, _, datasets = line.partition(":")
            if name.strip():
                conditions[name.strip()] = [d.strip() for d in datasets.split(",") if d.strip()]
        study: dict[str, Any] = {"name": values["name"] or "study", "models": list(values["models"] or []),
                                 "conditions": conditions,
                                 "benchmarks": [{"benchmark": b} for b in values["benchmarks"] or []]}
        seeds = [int(s) for s in str(values["seeds"] or "").replace(" ", "").split(",") if s]
        if seeds:
            study["seeds"] = seeds
        return yaml.safe_dump(study, allow_unicode=True, sort_keys=False)

    # -- planning, starting, aborting
    def plan(self, source: str, lang: str) -> tuple:
        from chemtune.study import config, plan, runner
        from chemtune.study.cells import preview
        from chemtune.train.estimate import format_seconds

        try:
            study = config.from_yaml(source or "", "study YAML")
            folder, cells = runner.prepare(study)
            rows = preview(cells)
            est = plan.estimate(study, cells)
        except ChemtuneError as error:
            return self.error(error, lang), gr.skip(), gr.skip()
        message = self.t("planned", lang, study=folder.study_id, cells=len(cells), train=est["train_cells"],
                         evals=est["eval_cells"], reused=sum(r["status"] == "done" for r in rows),
                         seconds=format_seconds(est["train_seconds"]), tokens=f"{est['train_tokens']:,}")
        return message, self.cell_frame(rows, lang), gr.update(choices=self.study_choices(lang),
                                                               value=folder.study_id)

    def start(self, source: str, lang: str) -> tuple:
        from chemtune.study import config, runner

        try:
            folder = runner.start(config.from_yaml(source or "", "study YAML"))
        except ChemtuneError as error:
            return self.error(error, lang), gr.skip()
        return (self.t("started", lang, study=folder.study_id),
                gr.update(choices=self.study_choices(lang), value=folder.study_id))

    def abort(self, study_id: str | None, lang: str) -> str:
        from chemtune.study import runner

        if not study_id:
            return self.t("no_study", lang)
        try:
            runner.abort(study_id)
        except ChemtuneError as error:
            return self.error(error, lang)
        return self.t("aborting", lang, study=study_id)

    # -- following
    def cell_frame(self, cells: list[dict], lang: str | None) -> Any:
        import pandas as pd

        data = [[self.t(f"kind_{c['kind']}", lang), c["model"], c["condition"],
                 "" if c.get("seed") is None else str(c["seed"]), c.get("benchmark") or "",
                 self.status_word(c.get("status"), lang), c.get("run_id") or "",
                 (c.get("error") or "") if c.get("status") != "done" else ""] for c in cells]
        return pd.DataFrame(data, columns=[self.t(key, lang) for key in CELL_COLUMNS])

    def poll(self, study_id: str | None, view: str, metric: str, lang: str, seen: Any) -> tuple:
        """The study's state, its cells and (when a cell has changed) its tables and figure."""
        from chemtune.study import render, runner, tables

        if not study_id:  # the grid's headers still follow the language
            return self.t("no_study", lang), self.cell_frame([], lang), "", None, None
        try:
            current = runner.status(study_id)
        except ChemtuneError as error:
            return self.error(error, lang), gr.skip(), gr.skip(), gr.skip(), seen
        counts = ", ".join(f"{n} {self.status_word(s, lang)}" for s, n in sorted(current["counts"].items()))
        state = self.t("study_state", lang, study=study_id,
                       status=self.status_word(current["status"], lang), counts=counts)
        why = f"why_{current['status']}"
        if current.get("error") and why in STRINGS:  # the driver's reasons, in the page's language
            state += "  \n" + self.t(why, lang)
        signature = [study_id, view, metric, lang, [(c["key"], c["status"], c["run_id"])
                                                    for c in current["cells"]]]
        if signature == seen:
            return state, self.cell_frame(current["cells"], lang), gr.skip(), gr.skip(), seen
        data = tables.tables(study_id)
        study = runner.StudyFolder(study_id).study()
        parts, figure = [], None
        for table in data["tables"].values():
            shown = tables.view(table, view or "all", study.models, list(study.conditions))
            parts.append(render.markdown(shown, metric or "macro_f1", lang))
            if figure is None and shown["rows"]:
                figure = render.figure(shown, lang, metric)
        return state, self.cell_frame(current["cells"], lang), "\n\n".join(parts), figure, signature

    def cell_detail(self, study_id: str | None, evt: gr.SelectData) -> str:
        from chemtune import jobs
        from chemtune.study import runner

        if not study_id or evt is None:
            return ""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        cells = runner.status(study_id)["cells"]
        if not isinstance(row, int) or row >= len(cells) or not cells[row].get("run_id"):
            return ""
        run = jobs.run_folder(cells[row]["run_id"])
        return f"`{run.path}`\n\n```\n{run.log_tail(3000)}\n```"

    def export(self, study_id: str | None, view: str, metric: str, fmt: str, lang: str) -> Any:
        from chemtune import workspace
        from chemtune.study import render, runner, tables

        if not study_id:
            return None
        data = tables.tables(study_id)
        study = runner.StudyFolder(study_id).study()
        texts = [render.export(tables.view(t, view or "all", study.models, list(study.conditions)), fmt,
                               metric or "macro_f1", lang) for t in data["tables"].values()]
        target = runner.StudyFolder(study_id).file(f"exports/{view}-{metric}.{FORMAT_EXTENSIONS[fmt]}")
        workspace.write_text_atomic(target, "\n".join(texts))
        return str(target)

    def reattach(self, lang: str | None) -> Any:
        """A fresh page shows the running study, else the newest."""
        from chemtune.study.runner import list_studies

        rows = list_studies()
        running = [r for r in rows if r.get("status") == "running"]
        chosen = (running or rows or [{}])[0].get("study_id")
        return gr.update(choices=self.study_choices(lang), value=chosen)


def build(text: PageText) -> None:
    from chemtune import models

    h = Handlers(text)
    lang0 = text.lang
    text.markdown("intro")
    with gr.Row():
        with gr.Column(scale=2):
            with text.add(gr.Accordion, label="source", open=True):
                with gr.Row():
                    template = text.register(gr.Dropdown(
                        choices=h.template_choices(lang0), value="paper-mini", label=text.text("template"),
                        info=text.text("template_help"), elem_id="study-template"),
                        label="template", info="template_help")
                    open_button = text.add(gr.Button, value="open_template", elem_id="study-open")
                upload = text.add(gr.File, label="upload", file_types=[".yaml", ".yml"], type="filepath",
                                  elem_id="study-upload")
            with text.add(gr.Accordion, label="pickers", open=False):
                name = text.register(gr.Textbox(value="my-study", label=text.text("name"),
                                                info=text.text("name_help"), elem_id="study-name"),
                                     label="name", info="name_help")
                model_pick = text.add(gr.Dropdown, label="models", info="models_help", multiselect=True,
                                      allow_custom_value=True, choices=models.model_choices(),
                                      elem_id="study-models")
                untuned = text.add(gr.Checkbox, value=True, label="untuned", elem_id="study-untuned")
                # A text box: condition names and dataset names are the user's own words.
                conditions = text.register(gr.Textbox(
                    value="Total: sample", lines=4, label=text.text("conditions"),
                    info=text.text("conditions_help"), elem_id="study-conditions"),
                    label="conditions", info="conditions_help")
                bench_pick = text.add(gr.Dropdown, label="benchmarks", info="benchmarks_help",
                                      multiselect=True, choices=h.benchmark_choices(lang0), value=["sample"],
                                      allow_custom_value=True, elem_id="study-benchmarks")
                seeds = text.register(gr.Textbox(value="", label=text.text("seeds"),
                                                 info=text.text("seeds_help"), elem_id="study-seeds"),
                                      label="seeds", info="seeds_help")
                compose_button = text.add(gr.Button, value="compose", elem_id="study-compose")
            # A text box, not a code editor: the YAML is the user's content, in whatever words they write.
            editor = text.register(gr.Textbox(value=h.open_template("paper-mini"), lines=18, max_lines=40,
                                              label=text.text("yaml"), elem_id="study-yaml"), label="yaml")
            with gr.Row():
                plan_button = text.add(gr.Button, value="plan", elem_id="study-plan")
                start_button = text.add(gr.Button, value="start", variant="primary", elem_id="study-start")
                abort_button = text.add(gr.Button, value="abort", variant="stop", elem_id="study-abort")
            message = gr.Markdown(elem_id="study-message")
        with gr.Column(scale=3):
            with gr.Row():
                study_pick = text.add(gr.Dropdown, label="study", info="study_help", choices=[],
                                      elem_id="study-pick", scale=4)
                refresh = text.add(gr.Button, value="refresh", elem_id="study-refresh", scale=1)
            state = gr.Markdown(elem_id="study-state")
            cells = text.register(gr.Dataframe(headers=[text.text(k) for k in CELL_COLUMNS],
                                               interactive=False, wrap=True, max_height=320,
                                               label=text.text("cells"), elem_id="study-cells"),
                                  label="cells")
            detail = text.add(gr.Markdown, value="cell_detail", elem_id="study-cell-detail")
    with text.add(gr.Accordion, label="tables", open=True):
        with gr.Row():
            view = text.register(gr.Radio(choices=h.view_choices(lang0), value="all", label=text.text("view"),
                                          elem_id="study-view"), label="view")
            metric = text.register(gr.Radio(choices=h.metric_choices(lang0), value="macro_f1",
                                            label=text.text("metric"), elem_id="study-metric"),
                                   label="metric")
        table_text = gr.Markdown(elem_id="study-tables")
        plot = gr.Plot(elem_id="study-plot")
        with gr.Row():
            formats = [("Markdown", "markdown"), ("LaTeX", "latex"), ("CSV", "csv"), ("JSON", "json")]
            fmt = text.register(gr.Radio(choices=formats, value="markdown",
                                         label=text.text("format"), elem_id="study-format"), label="format")
            export_button = text.add(gr.Button, value="export", elem_id="study-export")
            export_file = text.add(gr.File, label="export_file", interactive=False,
                                   elem_id="study-export-file")
    seen = gr.State(None)
    timer = gr.Timer(2.0)

    # ---- wiring ----
    lang = text.language
    open_button.click(h.open_template, template, editor)
    upload.upload(h.open_upload, upload, editor)

    def compose(name_value: str, models_value: list, untuned_value: bool, conditions_value: str,
                benchmarks_value: list, seeds_value: str) -> str:
        return h.compose({"name": name_value, "models": models_value, "untuned": untuned_value,
                          "conditions": conditions_value, "benchmarks": benchmarks_value,
                          "seeds": seeds_value})

    compose_button.click(compose, [name, model_pick, untuned, conditions, bench_pick, seeds], editor)
    plan_button.click(h.plan, [editor, lang], [message, cells, study_pick])
    start_button.click(h.start, [editor, lang], [message, study_pick])
    abort_button.click(h.abort, [study_pick, lang], message)
    refresh.click(h.reattach, lang, study_pick)
    poll_inputs = [study_pick, view, metric, lang, seen]
    poll_outputs = [state, cells, table_text, plot, seen]
    timer.tick(h.poll, poll_inputs, poll_outputs, show_progress="hidden")
    for changed in (study_pick.change, view.change, metric.change, text.on_language):
        changed(h.poll, poll_inputs, poll_outputs, show_progress="hidden")
    cells.select(h.cell_detail, study_pick, detail)
    export_button.click(h.export, [study_pick, view, metric, fmt, lang], export_file)
    if lang is not None:
        text.on_language(h.relabel, [lang, template, view, metric, study_pick, bench_pick],
                    [template, bench_pick, view, metric, study_pick])
    root = gr.context.Context.root_block
    if root is not None:
        root.load(h.reattach, lang, study_pick)
