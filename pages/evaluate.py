"""Evaluate tab: run a chemistry exam as an eval job, compare finished evaluations, inspect every answer."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.context import Context

from chemtune.errors import ChemtuneError
from chemtune.evaluate import browse
from chemtune.evaluate.benchmarks import CATALOGUE
from pages.evaluate_strings import STRINGS
from pages.i18n import PageText

__all__ = ["STRINGS", "build"]

FILE_CHOICE = "file"
METHOD_CHOICES = ["loglik", "generate", "endpoint"]


def _t(key: str, lang: str, **args: Any) -> str:
    text = STRINGS[key].get(lang) or STRINGS[key]["en"]
    return text.format(**args) if args else text


def _models() -> list[str]:
    from chemtune.models import PRESETS

    return list(PRESETS)


# ---- handlers: small functions that call the library -------------------------------------------------


def start_eval(model, adapter, label, benchmark, exam_file, data_dir, group_by, method, shots, limit,
               base_url, endpoint_model, api_key, lang):
    from chemtune import jobs, workspace
    from chemtune.evaluate.job import check_config, save_endpoint_key

    try:
        if benchmark == FILE_CHOICE:
            if not exam_file:
                raise ChemtuneError(_t("need_file", lang))
            kept = workspace.evals_dir() / ".exams" / Path(exam_file).name
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(exam_file, kept)  # the upload's temp copy goes away; config.yaml must stay valid
            benchmark = str(kept)
        if method == "endpoint":
            model, adapter = (endpoint_model or "").strip(), None
            if api_key and base_url:
                save_endpoint_key(base_url.strip(), api_key.strip())
        config = check_config({
            "model": model, "adapter": adapter or None, "label": (label or "").strip() or None,
            "benchmark": benchmark, "data_dir": (data_dir or "").strip() or None, "group_by": group_by,
            "method": method, "shots": int(shots or 0), "limit": int(limit) if limit else None,
            "base_url": (base_url or "").strip() or None})
        run = jobs.start_job("eval", config)
    except ChemtuneError as error:
        return gr.update(), f"⚠️ {error}"
    return run.run_id, _t("started", lang, run=run.run_id)


def progress_html(done: int, total: int | None, phase: str = "") -> str:
    share = (done / total) if total else 0.0
    return (f"<div class='eval-progress'><div class='eval-progress-label'>{phase} {done}/{total or '?'}"
            f" ({share:.0%})</div><div style='background:#e5e7eb;border-radius:6px;height:12px'>"
            f"<div id='eval-progress-fill' style='width:{share * 100:.1f}%;background:#2563eb;height:12px;"
            "border-radius:6px'></div></div></div>")


def poll(run_id, seen, lang):
    """Timer tick: reattach to the newest active evaluation, show its progress, then its results."""
    from chemtune import jobs
    from chemtune.evaluate.job import load_results

    run_id = run_id or browse.active_eval()
    if not run_id:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), seen, gr.skip(), gr.skip()
    try:
        run = jobs.run_folder(run_id)
    except ChemtuneError:
        return None, gr.skip(), gr.skip(), gr.skip(), None, gr.skip(), gr.skip()
    status = run.status()
    state = status.get("status")
    progress = status.get("progress") or {}
    events, _ = run.read_events(0)
    phases = [e.get("phase") for e in events if e.get("type") == "progress" and e.get("phase")]
    bar = progress_html(progress.get("done", 0), progress.get("total"), phases[-1] if phases else "")
    key = f"{run_id}:{state}:{progress.get('done')}"
    if key == seen:
        return run_id, gr.skip(), gr.skip(), gr.skip(), seen, gr.skip(), gr.skip()
    if state in jobs.ACTIVE:
        return run_id, _t("running", lang, run=run_id, status=state), bar, gr.skip(), key, gr.skip(), gr.skip()
    if state != "done":
        message = _t("failed", lang, run=run_id, status=state, error=status.get("error") or "")
        return run_id, message, gr.skip(), gr.skip(), key, gr.skip(), gr.skip()
    results = load_results(run_id)
    choices = browse.eval_choices()
    message = _t("finished", lang, run=run_id, label=results["label"], secs=results.get("seconds", 0))
    return (run_id, message, progress_html(progress.get("total") or 1, progress.get("total") or 1, "✓"),
            browse.results_rows(results), key, gr.update(choices=choices), gr.update(choices=choices,
                                                                                       value=run_id))


def compare(eval_ids, metric, average, lang):
    """The paper-style table (Markdown, best in bold) and its four export files."""
    from chemtune.evaluate.job import load_results
    from chemtune.evaluate.report import comparison, render_table, to_markdown

    if not eval_ids:
        return _t("pick_evals", lang), None, None, None, None
    try:
        table = comparison([load_results(eval_id) for eval_id in eval_ids], metric, average)
    except ChemtuneError as error:
        return f"⚠️ {error}", None, None, None, None
    folder = Path(tempfile.mkdtemp(prefix="chemtune-compare-"))
    paths = []
    for fmt, suffix in (("csv", "csv"), ("markdown", "md"), ("latex", "tex"), ("json", "json")):
        path = folder / f"comparison.{suffix}"
        path.write_text(render_table(table, fmt), encoding="utf-8")
        paths.append(str(path))
    note = _t("table_note", lang)
    return to_markdown(table) + f"\n{note}", *paths


def inspect(eval_id, subset, which):
    """Confusion heatmap, sub-category choices and the question list of one evaluation."""
    from chemtune.evaluate.job import load_predictions, load_results
    from chemtune.evaluate.report import confusion_figure

    if not eval_id:
        return None, gr.update(choices=["all"], value="all"), []
    try:
        results = load_results(eval_id)
    except ChemtuneError:
        return None, gr.update(choices=["all"], value="all"), []
    subsets = ["all", *results.get("subsets", {})]
    subset = subset if subset in subsets else "all"
    figure = confusion_figure(load_predictions(eval_id), results["letters"], None if subset == "all" else subset,
                              title=f"{results['label']} — {subset}")
    return figure, gr.update(choices=subsets, value=subset), browse.question_rows(eval_id, which, subset)


def show_question(eval_id, rows, evt: gr.SelectData):
    """Details of the clicked question: text, options, gold, predicted, the exact prompt, the raw output."""
    try:
        index = int(rows.iloc[evt.index[0], 0]) if hasattr(rows, "iloc") else int(rows[evt.index[0]][0])
    except (IndexError, TypeError, ValueError):
        return gr.skip(), gr.skip(), gr.skip()
    p = browse.question_detail(eval_id, index)
    if not p:
        return "", "", ""
    scores = ""
    if p.get("logprobs"):
        scores = "\n\nlog p: " + ", ".join(f"{k} {v:.3f}" for k, v in p["logprobs"].items())
    head = (f"**{p['id']}** · {p['subset']} · gold **{p['gold']}** · predicted **{p.get('pred') or 'unparsed'}** "
            f"{'✓' if p['correct'] else '✗'}\n\n{p['question']}\n\n{p['options']}{scores}")
    return head, p.get("prompt", ""), p.get("raw") or "—"


def check_contamination(datasets, benchmark, exam_file, data_dir, group_by, ngram, threshold, lang):
    from chemtune.evaluate.benchmarks import load_exam
    from chemtune.evaluate.contamination import check

    try:
        source = exam_file if benchmark == FILE_CHOICE else benchmark
        if not source:
            raise ChemtuneError(_t("need_file", lang))
        exam = load_exam(source, (data_dir or "").strip() or None, group_by)
        result = check(exam.questions, list(datasets or []), int(ngram), float(threshold))
    except ChemtuneError as error:
        return f"⚠️ {error}", []
    summary = _t("contamination_summary", lang, flagged=result["flagged_count"], n=result["n"],
                 rate=result["flagged_rate"], ngram=result["ngram"], threshold=result["threshold"],
                 records=result["records_scanned"])
    rows = [[f"{item['overlap']:.0%}", item["id"], item["subset"], item["question"], item["dataset"],
             item["record_id"]] for item in result["flagged"]]
    return summary, rows


def refresh_lists():
    from chemtune.records import list_datasets

    evals = browse.eval_choices()
    datasets = [row["name"] for row in list_datasets()]
    return (gr.update(choices=[("—", ""), *browse.adapter_choices()]), gr.update(choices=evals),
            gr.update(choices=evals), gr.update(choices=datasets))


def follow_adapter(adapter, model):
    base = browse.adapter_base_model(adapter) if adapter else None
    return base or model


# ---- layout, then wiring ------------------------------------------------------------------------------


def build(text: PageText) -> None:
    lang = text.language
    text.markdown("intro")
    run_id, seen = gr.State(None), gr.State(None)
    benchmarks = [(f"{b.title} ({b.name})", b.name) for b in CATALOGUE.values()]
    benchmarks.append((text.text("file_choice"), FILE_CHOICE))
    with gr.Group():
        with gr.Row():
            model = text.register(gr.Dropdown(_models(), value="tiny", allow_custom_value=True,
                                              label=text.text("model"), info=text.text("model_help"),
                                              elem_id="eval-model"), label="model", info="model_help")
            adapter = text.register(gr.Dropdown([("—", "")], value="", allow_custom_value=True,
                                                label=text.text("adapter"), info=text.text("adapter_help"),
                                                elem_id="eval-adapter"), label="adapter", info="adapter_help")
            label = text.add(gr.Textbox, label="label", info="label_help", elem_id="eval-label")
        with gr.Row():
            benchmark = text.register(gr.Dropdown(benchmarks, value="sample", label=text.text("benchmark"),
                                                  info=text.text("benchmark_help"), elem_id="eval-benchmark"),
                                      label="benchmark", info="benchmark_help")
            data_dir = text.add(gr.Textbox, label="data_dir", info="data_dir_help", elem_id="eval-data-dir")
            group_by = text.register(gr.Radio(["subject", "difficulty"], value="subject",
                                              label=text.text("group_by")), label="group_by")
        exam_file = text.add(gr.File, label="exam_file", file_types=[".csv", ".jsonl"], type="filepath",
                             elem_id="eval-file", height=120, visible=False)
        with gr.Row():
            method = text.register(gr.Radio(METHOD_CHOICES, value="loglik", label=text.text("method"),
                                            info=text.text("method_help"), elem_id="eval-method"),
                                   label="method", info="method_help")
            shots = text.register(gr.Slider(0, 5, value=0, step=1, label=text.text("shots"),
                                            info=text.text("shots_help")), label="shots", info="shots_help")
            limit = text.register(gr.Number(value=0, precision=0, minimum=0, label=text.text("limit"),
                                            info=text.text("limit_help")), label="limit", info="limit_help")
        with text.add(gr.Accordion, label="endpoint", open=False):
            with gr.Row():
                base_url = text.add(gr.Textbox, label="base_url", placeholder="base_url_hint")
                endpoint_model = text.add(gr.Textbox, label="endpoint_model", placeholder="endpoint_model_hint")
                api_key = text.add(gr.Textbox, label="api_key", info="api_key_help", type="password")
    with gr.Row():
        run_button = text.add(gr.Button, value="run", variant="primary", elem_id="eval-run")
        stop_button = text.add(gr.Button, value="stop", variant="stop", elem_id="eval-stop")
        refresh_button = text.add(gr.Button, value="refresh", elem_id="eval-refresh")
    status = gr.Markdown(elem_id="eval-status")
    bar = gr.HTML(elem_id="eval-progress")
    results = text.register(gr.Dataframe(headers=browse.RESULT_COLUMNS, interactive=False,
                                         label=text.text("results"), elem_id="eval-results"), label="results")

    text.markdown("compare_title")
    with gr.Row():
        picks = text.register(gr.Dropdown(browse.eval_choices(), multiselect=True, label=text.text("compare_pick"),
                                          elem_id="eval-compare-pick", scale=3), label="compare_pick")
        metric = text.register(gr.Radio([("macro-F1", "macro_f1"), ("accuracy", "accuracy")], value="macro_f1",
                                         label=text.text("metric")), label="metric")
        average = text.register(gr.Radio([("pooled", "average"), ("mean", "mean")], value="average",
                                          label=text.text("average"), info=text.text("average_help")),
                                label="average", info="average_help")
    table = gr.Markdown(elem_id="eval-compare-table")
    with gr.Row():
        downloads = [gr.DownloadButton(name, value=None, size="sm") for name in ("CSV", "Markdown", "LaTeX", "JSON")]

    text.markdown("inspect_title")
    with gr.Row():
        inspect_eval = text.register(gr.Dropdown(browse.eval_choices(), label=text.text("inspect_pick"),
                                                 elem_id="eval-inspect-pick", scale=3), label="inspect_pick")
        subset = text.register(gr.Dropdown(["all"], value="all", label=text.text("subset")), label="subset")
        which = text.register(gr.Radio(list(browse.QUESTION_FILTERS), value="all", label=text.text("which")),
                              label="which")
    heatmap = gr.Plot(elem_id="eval-heatmap")
    questions = text.register(gr.Dataframe(headers=browse.QUESTION_COLUMNS, interactive=False, max_height=320,
                                           label=text.text("questions"), elem_id="eval-questions"),
                              label="questions")
    detail = gr.Markdown(elem_id="eval-question-detail")
    with gr.Row():
        prompt = text.add(gr.Textbox, label="prompt", lines=8, max_lines=20, elem_id="eval-prompt")
        raw = text.add(gr.Textbox, label="raw", lines=8, max_lines=20, elem_id="eval-raw")

    text.markdown("contamination_title")
    with gr.Row():
        datasets = text.register(gr.Dropdown([], multiselect=True, label=text.text("datasets"), scale=3,
                                             elem_id="eval-contam-datasets"), label="datasets")
        ngram = text.register(gr.Slider(8, 50, value=20, step=1, label=text.text("ngram")), label="ngram")
        threshold = text.register(gr.Slider(0.1, 1.0, value=0.5, step=0.05, label=text.text("threshold")),
                                  label="threshold")
    contam_button = text.add(gr.Button, value="contamination_run", elem_id="eval-contam-run")
    contam_summary = gr.Markdown(elem_id="eval-contam-summary")
    contam_table = text.register(gr.Dataframe(headers=["overlap", "id", "sub-category", "question", "dataset",
                                                       "record"], interactive=False, wrap=True,
                                              label=text.text("flagged")), label="flagged")
    timer = gr.Timer(2.0)

    # ---- wiring ----
    run_button.click(start_eval, [model, adapter, label, benchmark, exam_file, data_dir, group_by, method, shots,
                                  limit, base_url, endpoint_model, api_key, lang], [run_id, status])
    stop_button.click(_stop, [run_id, lang], status)
    adapter.change(follow_adapter, [adapter, model], model)
    benchmark.change(lambda name: gr.update(visible=name == FILE_CHOICE), benchmark, exam_file)
    timer.tick(poll, [run_id, seen, lang], [run_id, status, bar, results, seen, picks, inspect_eval],
               show_progress="hidden")
    lists = [adapter, picks, inspect_eval, datasets]
    refresh_button.click(refresh_lists, None, lists)
    for trigger in (picks.change, metric.change, average.change):
        trigger(compare, [picks, metric, average, lang], [table, *downloads])
    for trigger in (inspect_eval.change, subset.change, which.change):
        trigger(inspect, [inspect_eval, subset, which], [heatmap, subset, questions])
    questions.select(show_question, [inspect_eval, questions], [detail, prompt, raw])
    contam_button.click(check_contamination, [datasets, benchmark, exam_file, data_dir, group_by, ngram,
                                              threshold, lang], [contam_summary, contam_table])
    # Lists are read afresh on every page load, so runs finished elsewhere (CLI, another tab) show up.
    if Context.root_block is not None:
        Context.root_block.load(refresh_lists, None, lists)


def _stop(run_id, lang):
    from chemtune import jobs

    if not run_id:
        return _t("nothing_running", lang)
    try:
        jobs.abort(run_id)
    except ChemtuneError as error:
        return f"⚠️ {error}"
    return _t("stopping", lang, run=run_id)
