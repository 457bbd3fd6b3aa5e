"""The Evaluate tab's event handlers: each takes the named values of its inputs ({widget name: value},
"lang" among them) and returns the named values of the outputs it changes; they call chemtune.evaluate.

Names are those of pages/evaluate.py's widgets: an option's widget is named as the option
(`chemtune.evaluate.config`), so the values of the run section are an eval config as they stand.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from chemtune import options
from chemtune.errors import ChemtuneError
from chemtune.evaluate import browse
from chemtune.evaluate import config as declared  # the options' declaration (read when used)
from chemtune.evaluate.report import Words
from pages.evaluate_strings import CONTAMINATION_COLUMNS, STRINGS
from pages.i18n import lookup, translate_choices
from pages.widgets import benchmark_ids

FILE_CHOICE = "file"  # the benchmark picker's entry for an uploaded exam file
Values = dict[str, Any]


def _t(key: str, lang: str, **args: Any) -> str:
    return lookup(STRINGS, key, lang if lang in ("en", "ko") else "en", args or None)


def _known(prefix: str, key: str, lang: str) -> str:
    """The translation of an id the library reports (a job state, a progress phase), else the id."""
    return _t(f"{prefix}_{key}", lang) if f"{prefix}_{key}" in STRINGS else key


def _error(error: ChemtuneError, lang: str) -> str:
    return f"⚠️ {error.text(lang)}"


def _choices(name: str, lang: str) -> dict[str, str]:
    """{value: label in `lang`} of a choice option of EvalConfig."""
    values = options.describe(declared.EvalConfig, name)["choices"]
    return {value: _t(f"eval_{name}__{value}", lang) for value in values}


def method_names(lang: str) -> dict[str, str]:
    return _choices("method", lang)


def words(lang: str) -> Words:
    """The comparison table's and the heatmap's words in `lang`."""
    return Words(
        model=_t("word_model", lang), averages={"average": _t("word_average", lang),
                                                 "mean": _t("word_mean", lang)},
        unparsed_column=_t("word_unparsed_column", lang), shots=_t("word_shots", lang),
        prompts=_t("word_prompts", lang), methods=method_names(lang),
        styles=_choices("prompt_style", lang),
        confusion=_t("word_confusion", lang), gold=_t("word_gold", lang),
        predicted=_t("word_predicted", lang), unparsed=_t("word_unparsed", lang),
        share=_t("word_share", lang), hover=_t("word_hover", lang),
    )


def headers(columns: list[str], lang: str) -> list[str]:
    return [_t(f"col_{column}", lang) for column in columns]


def table(rows: list[list[Any]], columns: list[str], lang: str) -> Any:
    """A table with its headers in `lang` (a frame, so an empty one still shows them)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=headers(columns, lang))


def models() -> list[str]:
    from chemtune.models import model_choices

    return model_choices()


# ---- run ------------------------------------------------------------------------------------------------


def start_eval(values: Values) -> Values:
    """Start an eval job from the run section's options (plus the uploaded file and the API key)."""
    from chemtune import jobs, workspace
    from chemtune.evaluate.job import check_config

    lang = values["lang"]
    config = {name: values.get(name) for name in declared.EvalConfig.model_fields}
    try:
        if config["benchmark"] == FILE_CHOICE:
            if not values.get("exam_file"):
                return {"status": f"⚠️ {_t('need_file', lang)}"}
            # The upload's temp copy goes away and config.yaml must stay valid: keep it, named by content.
            config["benchmark"] = str(workspace.keep_upload(values["exam_file"]))
        if config["method"] == "endpoint":
            config["adapter"] = None  # the picker may still hold one from a local evaluation
        config = check_config(config)
        # An endpoint evaluation needs no GPU, so it starts at once and its key can travel in memory.
        key = (values.get("api_key") or "").strip()
        secret = {config["api_key_env"]: key} if config["method"] == "endpoint" and key else None
        run = jobs.start_job("eval", config, env=secret, uses_gpu=config["method"] != "endpoint")
    except ChemtuneError as error:
        return {"status": _error(error, lang)}
    return {"run_id": run.run_id, "status": _t("started", lang, run=run.run_id)}


def show_file(values: Values) -> Values:
    return {"exam_file": gr.update(visible=values["benchmark"] == FILE_CHOICE)}


def progress_html(done: int, total: int | None, phase: str = "") -> str:
    share = (done / total) if total else 0.0
    return (
        f"<div class='eval-progress'><div class='eval-progress-label'>{phase} {done}/{total or '?'}"
        f" ({share:.0%})</div><div style='background:#e5e7eb;border-radius:6px;height:12px'>"
        f"<div id='eval-progress-fill' style='width:{share * 100:.1f}%;background:#2563eb;height:12px;"
        "border-radius:6px'></div></div></div>"
    )


def results_table(results: dict, lang: str) -> Any:
    rows = browse.results_rows(results, _t("pooled_row", lang), _t("mean_row", lang))
    return table(rows, browse.RESULT_COLUMNS, lang)


def poll(values: Values) -> Values:
    """Timer tick: reattach to the newest active evaluation, show its progress, then its results."""
    from chemtune import jobs
    from chemtune.evaluate.job import load_results

    lang, seen = values["lang"], values["seen"]
    run_id = values["run_id"] or jobs.active_run("eval")
    if not run_id:
        return {}
    try:
        run = jobs.run_folder(run_id)
    except ChemtuneError:
        return {"run_id": None, "seen": None}
    status = run.status()
    state = status.get("status")
    progress = status.get("progress") or {}
    key = f"{run_id}:{state}:{progress.get('done')}"
    if key == seen:
        return {"run_id": run_id}
    if state in jobs.ACTIVE:
        events, _ = run.read_events(0)
        phases = [e.get("phase") for e in events if e.get("type") == "progress" and e.get("phase")]
        phase = _known("phase", phases[-1], lang) if phases else ""
        return {"run_id": run_id, "seen": key,
                "status": _t("running", lang, run=run_id, status=_known("state", state, lang)),
                "bar": progress_html(progress.get("done", 0), progress.get("total"), phase)}
    if state != "done":
        failed = _t("failed", lang, run=run_id, status=_known("state", state, lang),
                    error=status.get("error") or "")
        return {"run_id": run_id, "seen": key, "status": failed}
    results = load_results(run_id)
    note = _t("finished", lang, run=run_id, label=results["label"], secs=results.get("seconds", 0))
    if results.get("shots_from") == "test":
        note += " " + _t("shots_from_test", lang, k=results["shots"])
    if results.get("failed"):
        note += " " + _t("endpoint_failed", lang, failed=results["failed"], n=results["average"]["n"])
    choices = eval_choices(lang)
    return {
        "run_id": run_id, "seen": key, "status": note,
        "bar": progress_html(progress.get("total") or 1, progress.get("total") or 1, "✓"),
        "results": results_table(results, lang),
        "picks": gr.update(choices=choices),
        "inspect_eval": gr.update(choices=choices, value=run_id),
    }


def show_results(values: Values) -> Values:
    """The shown evaluation's results again, in the language just chosen."""
    from chemtune.evaluate.job import load_results

    try:
        results = load_results(values["run_id"]) if values["run_id"] else None
    except ChemtuneError:
        results = None
    if results is None:
        return {"results": table([], browse.RESULT_COLUMNS, values["lang"])}
    return {"results": results_table(results, values["lang"])}


def stop(values: Values) -> Values:
    from chemtune import jobs

    lang, run_id = values["lang"], values["run_id"]
    if not run_id:
        return {"status": _t("nothing_running", lang)}
    try:
        jobs.abort(run_id)
    except ChemtuneError as error:
        return {"status": _error(error, lang)}
    return {"status": _t("stopping", lang, run=run_id)}


def eval_choices(lang: str) -> list[tuple[str, str]]:
    return browse.eval_choices(_t("eval_choice", lang), method_names(lang))


def adapter_choices(lang: str) -> list[tuple[str, str]]:
    return [(_t("no_adapter", lang), ""), *browse.adapter_choices(_t("adapter_choice", lang))]


def refresh_lists(values: Values) -> Values:
    from chemtune.records import list_datasets

    lang = values["lang"]
    evals = eval_choices(lang)
    return {
        "adapter": gr.update(choices=adapter_choices(lang)),
        "picks": gr.update(choices=evals),
        "inspect_eval": gr.update(choices=evals),
        "datasets": gr.update(choices=[row["name"] for row in list_datasets()]),
        "benchmark": gr.update(choices=translate_choices(
            STRINGS, benchmark_ids() | {FILE_CHOICE: "file_choice"}, lang)),
    }


def follow_adapter(values: Values) -> Values:
    base = browse.adapter_base_model(values["adapter"]) if values["adapter"] else None
    return {"model": base or values["model"]}


# ---- compare --------------------------------------------------------------------------------------------

COMPARE_ROOT = "chemtune-compare"
KEEP_COMPARISONS = 10
DOWNLOADS = {"download_csv": ("csv", "csv"), "download_markdown": ("markdown", "md"),
             "download_latex": ("latex", "tex"), "download_json": ("json", "json")}


def comparison_folder(eval_ids: list[str], metric: str, average: str, lang: str = "en") -> Path:
    """One folder per comparison (the same choice reuses it), the oldest beyond KEEP_COMPARISONS removed.

    It lives in the system temp folder, which Gradio serves downloads from without `allowed_paths`; the
    workspace may be elsewhere (persistent storage on Spaces). Gradio copies the files on return, so
    removing an old folder never breaks a download already offered.
    """
    import hashlib
    import json
    import shutil

    root = Path(tempfile.gettempdir()) / COMPARE_ROOT
    key = hashlib.sha1(json.dumps([eval_ids, metric, average, lang]).encode()).hexdigest()[:12]
    folder = root / key
    folder.mkdir(parents=True, exist_ok=True)
    folder.touch()  # the newest use, for the clean-up below
    others = sorted((p for p in root.iterdir() if p.is_dir() and p != folder),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP_COMPARISONS - 1:]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def compare(values: Values) -> Values:
    """The paper-style table (Markdown, best in bold) and its four export files, worded in the language."""
    from chemtune.evaluate.job import load_results
    from chemtune.evaluate.report import comparison, render_table, to_markdown

    lang, eval_ids = values["lang"], list(values["picks"] or [])
    empty = dict.fromkeys(DOWNLOADS)
    if not eval_ids:
        return {"table": _t("pick_evals", lang), **empty}
    try:
        results = [load_results(eval_id) for eval_id in eval_ids]
        kinds = {r.get("kind") == "tasks" for r in results}
        if kinds == {True}:
            return compare_tasks(results, comparison_folder(eval_ids, "tasks", "", lang), lang)
        if len(kinds) > 1:
            return {"table": _t("mixed_kinds", lang), **empty}
        table_ = comparison(results, values["metric"], values["average"], words(lang))
    except ChemtuneError as error:
        return {"table": _error(error, lang), **empty}
    folder = comparison_folder(eval_ids, values["metric"], values["average"], lang)
    files = {}
    for name, (fmt, suffix) in DOWNLOADS.items():
        path = folder / f"comparison.{suffix}"
        path.write_text(render_table(table_, fmt), encoding="utf-8")
        files[name] = str(path)
    return {"table": to_markdown(table_) + f"\n{_t('table_note', lang)}", **files}


def compare_tasks(results: list[dict], folder: Path, lang: str) -> Values:
    """Task evaluations side by side per task (n, valid JSON, schema, field F1, chrF …), as Markdown, CSV
    and JSON (a per-task table has no LaTeX form here)."""
    import csv
    import io
    import json

    from chemtune.evaluate.tasks import task_table, task_table_markdown

    table_, text = task_table(results, lang), task_table_markdown(results, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["task", *table_["columns"]])
    writer.writerows([row["task"], *(row["cells"][c] for c in table_["columns"])] for row in table_["rows"])
    files = {"download_markdown": ("md", text), "download_csv": ("csv", buffer.getvalue()),
             "download_json": ("json", json.dumps(table_, ensure_ascii=False, indent=1))}
    out: Values = {"table": text, "download_latex": None}
    for name, (suffix, body) in files.items():
        path = folder / f"comparison.{suffix}"
        path.write_text(body, encoding="utf-8")
        out[name] = str(path)
    return out


# ---- inspect --------------------------------------------------------------------------------------------


def read_by_names(lang: str) -> dict[str, str]:
    """Each reading rule's name in the page's language."""
    from chemtune.evaluate.extract import READ_RULES, UNPARSED_RULES

    return {rule: _t(f"read_{rule}", lang) for rule in (*READ_RULES, *UNPARSED_RULES)}


def subset_choices(subsets: list[str], lang: str) -> list[tuple[str, str]]:
    return [(_t("subset_all", lang), "all"), *((subset, subset) for subset in subsets)]


def inspect(values: Values) -> Values:
    """Confusion heatmap, sub-category choices and the question list of one evaluation."""
    from chemtune.evaluate.job import load_predictions, load_results
    from chemtune.evaluate.report import confusion_figure

    lang, eval_id = values["lang"], values["inspect_eval"]
    nothing = {"heatmap": None, "subset": gr.update(choices=subset_choices([], lang), value="all"),
               "questions": table([], browse.QUESTION_COLUMNS, lang)}
    if not eval_id:
        return nothing
    try:
        results = load_results(eval_id)
    except ChemtuneError:
        return nothing
    subsets = list(results.get("subsets", {}))
    subset = values["subset"] if values["subset"] in subsets else "all"
    if results.get("kind") == "tasks":  # generated answers per task: no letters, so no heatmap
        rows = task_rows(load_predictions(eval_id), subset)
        return {"heatmap": None, "subset": gr.update(choices=subset_choices(subsets, lang), value=subset),
                "questions": table(rows, browse.QUESTION_COLUMNS, lang)}
    shown = _t("subset_all", lang) if subset == "all" else subset
    figure = confusion_figure(load_predictions(eval_id), results["letters"],
                              None if subset == "all" else subset, title=f"{results['label']} — {shown}",
                              words=words(lang))
    no_answer = (_t("word_unparsed", lang), _t("word_failed", lang))
    rows = browse.question_rows(eval_id, values["which"], subset, read_by_names(lang), no_answer)
    return {"heatmap": figure, "subset": gr.update(choices=subset_choices(subsets, lang), value=subset),
            "questions": table(rows, browse.QUESTION_COLUMNS, lang)}


def task_rows(predictions: list[dict], subset: str) -> list[list[Any]]:
    """The records of a task evaluation in the question table's columns: the reference and the answer
    (shortened) as gold and predicted, the record's field F1 beside them."""
    from chemtune.evaluate.task_metrics import prf

    def short(text: Any) -> str:
        text = " ".join(str(text or "").split())
        return text if len(text) <= 60 else text[:59] + "…"

    rows = []
    for index, p in enumerate(predictions):
        if subset != "all" and p.get("task") != subset:
            continue
        score = ""
        if p.get("field_counts"):
            score = f"field F1 {prf(*p['field_counts'])['f1']:.2f}"
        rows.append([index, p.get("id"), p.get("task"), short(p.get("reference")), short(p.get("raw")),
                     "✓" if p.get("valid_json", True) and not p.get("error") else "✗", score])
    return rows


def show_question(values: Values, evt: gr.SelectData) -> Values:
    """Details of the clicked question: text, options, gold, predicted, the exact prompt, the raw output."""
    lang, rows = values["lang"], values["questions"]
    try:
        index = int(rows.iloc[evt.index[0], 0]) if hasattr(rows, "iloc") else int(rows[evt.index[0]][0])
    except (IndexError, TypeError, ValueError):
        return {}
    from chemtune.evaluate.job import load_predictions
    from chemtune.evaluate.tasks import VIEW_WORDS, record_view

    predictions = load_predictions(values["inspect_eval"])
    if 0 <= index < len(predictions) and "task" in predictions[index] and "reference" in predictions[index]:
        row = predictions[index]
        task_words = dict(zip(VIEW_WORDS, _t("task_words", lang).split("|"), strict=True))
        return {"detail": record_view(row, task_words), "prompt": row.get("prompt", ""),
                "raw": row.get("raw") or "—"}
    p = browse.question_detail(values["inspect_eval"], index)
    if not p:
        return {"detail": "", "prompt": "", "raw": ""}
    scores = ""
    if p.get("logprobs"):
        scores = f"\n\n{_t('log_p', lang)}: " + ", ".join(f"{k} {v:.3f}" for k, v in p["logprobs"].items())
    read_by = read_by_names(lang).get(p.get("read_by"), p.get("read_by"))
    head = _t("detail", lang, id=p["id"], subset=p["subset"], gold=p["gold"],
              pred=p.get("pred") or _t("word_unparsed", lang), mark="✓" if p["correct"] else "✗")
    head += (f" · {_t('read_by', lang)}: *{read_by}*" if read_by else "") + f"\n\n{p['question']}\n\n"
    raw = p.get("raw") or (_t("no_answer", lang, error=p["error"]) if p.get("error") else "—")
    return {"detail": head + p["options"] + scores, "prompt": p.get("prompt", ""), "raw": raw}


# ---- contamination --------------------------------------------------------------------------------------


def check_contamination(values: Values) -> Values:
    """Run the check the contamination options describe (the exam is the run section's)."""
    from chemtune.evaluate import contamination

    lang = values["lang"]
    config = {name: values.get(name) for name in declared.ContaminationConfig.model_fields}
    try:
        if config["benchmark"] == FILE_CHOICE:
            if not values.get("exam_file"):
                return {"contam_summary": f"⚠️ {_t('need_file', lang)}", "contam_result": None}
            config["benchmark"] = values["exam_file"]
        result = contamination.run(declared.make_contamination_config(config))
    except ChemtuneError as error:
        return {"contam_summary": _error(error, lang), "contam_result": None,
                "contam_table": table([], CONTAMINATION_COLUMNS, lang)}
    result.pop("items")
    return {"contam_result": result, **show_contamination({"contam_result": result, "lang": lang})}


def show_contamination(values: Values) -> Values:
    """The last check's summary and flagged questions, in the language."""
    lang, result = values["lang"], values["contam_result"]
    if not result:
        return {"contam_table": table([], CONTAMINATION_COLUMNS, lang)}
    summary = _t("contamination_summary", lang, flagged=result["flagged_count"], n=result["n"],
                 rate=result["flagged_rate"], ngram=result["ngram"], threshold=result["threshold"],
                 records=result["records_scanned"])
    rows = [[f"{item['overlap']:.0%}", item["id"], item["subset"], item["question"], item["dataset"],
             item["record_id"]] for item in result["flagged"]]
    return {"contam_summary": summary, "contam_table": table(rows, CONTAMINATION_COLUMNS, lang)}
