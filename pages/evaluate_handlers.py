"""The Evaluate tab's event handlers: small functions that call chemtune.evaluate and return values."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from chemtune.errors import ChemtuneError
from chemtune.evaluate import browse
from pages.evaluate_strings import STRINGS

FILE_CHOICE = "file"
METHOD_CHOICES = ["loglik", "generate", "endpoint"]
PROMPT_STYLE_CHOICES = [("chat", "chat"), ("lm-evaluation-harness", "harness")]


def _t(key: str, lang: str, **args: Any) -> str:
    text = STRINGS[key].get(lang) or STRINGS[key]["en"]
    return text.format(**args) if args else text


def models() -> list[str]:
    from chemtune.models import model_choices

    return model_choices()


def start_eval(
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
    prompt_style="chat",
    trust_remote_code=False,
):
    from chemtune import jobs, workspace
    from chemtune.evaluate.job import check_config

    try:
        if benchmark == FILE_CHOICE:
            if not exam_file:
                raise ChemtuneError(_t("need_file", lang))
            # The upload's temp copy goes away and config.yaml must stay valid: keep it, named by content.
            benchmark = str(workspace.keep_upload(exam_file))
        if method == "endpoint":
            model, adapter = (endpoint_model or "").strip(), None
        config = check_config(
            {
                "model": model,
                "adapter": adapter or None,
                "label": (label or "").strip() or None,
                "benchmark": benchmark,
                "data_dir": (data_dir or "").strip() or None,
                "group_by": group_by,
                "method": method,
                "prompt_style": prompt_style or "chat",
                "shots": int(shots or 0),
                "limit": int(limit) if limit else None,
                "base_url": (base_url or "").strip() or None,
                "trust_remote_code": bool(trust_remote_code),
            }
        )
        # An endpoint evaluation needs no GPU, so it starts at once and its key can travel in memory.
        secret = {config["api_key_env"]: api_key.strip()} if method == "endpoint" and api_key else None
        run = jobs.start_job("eval", config, env=secret, uses_gpu=method != "endpoint")
    except ChemtuneError as error:
        return gr.update(), f"⚠️ {error}"
    return run.run_id, _t("started", lang, run=run.run_id)


def progress_html(done: int, total: int | None, phase: str = "") -> str:
    share = (done / total) if total else 0.0
    return (
        f"<div class='eval-progress'><div class='eval-progress-label'>{phase} {done}/{total or '?'}"
        f" ({share:.0%})</div><div style='background:#e5e7eb;border-radius:6px;height:12px'>"
        f"<div id='eval-progress-fill' style='width:{share * 100:.1f}%;background:#2563eb;height:12px;"
        "border-radius:6px'></div></div></div>"
    )


def poll(run_id, seen, lang):
    """Timer tick: reattach to the newest active evaluation, show its progress, then its results."""
    from chemtune import jobs
    from chemtune.evaluate.job import load_results

    run_id = run_id or jobs.active_run("eval")
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
        return (
            run_id,
            _t("running", lang, run=run_id, status=state),
            bar,
            gr.skip(),
            key,
            gr.skip(),
            gr.skip(),
        )
    if state != "done":
        message = _t("failed", lang, run=run_id, status=state, error=status.get("error") or "")
        return run_id, message, gr.skip(), gr.skip(), key, gr.skip(), gr.skip()
    results = load_results(run_id)
    choices = browse.eval_choices()
    message = _t("finished", lang, run=run_id, label=results["label"], secs=results.get("seconds", 0))
    if results.get("shots_from") == "test":
        message += " " + _t("shots_from_test", lang, k=results["shots"])
    if results.get("failed"):
        message += " " + _t("endpoint_failed", lang, failed=results["failed"], n=results["average"]["n"])
    return (
        run_id,
        message,
        progress_html(progress.get("total") or 1, progress.get("total") or 1, "✓"),
        browse.results_rows(results),
        key,
        gr.update(choices=choices),
        gr.update(choices=choices, value=run_id),
    )


COMPARE_ROOT = "chemtune-compare"
KEEP_COMPARISONS = 10


def comparison_folder(eval_ids: list[str], metric: str, average: str) -> Path:
    """One folder per comparison (the same choice reuses it), the oldest beyond KEEP_COMPARISONS removed.

    It lives in the system temp folder, which Gradio serves downloads from without `allowed_paths`; the
    workspace may be elsewhere (persistent storage on Spaces). Gradio copies the files on return, so
    removing an old folder never breaks a download already offered.
    """
    import hashlib
    import json
    import shutil

    root = Path(tempfile.gettempdir()) / COMPARE_ROOT
    key = hashlib.sha1(json.dumps([eval_ids, metric, average]).encode()).hexdigest()[:12]
    folder = root / key
    folder.mkdir(parents=True, exist_ok=True)
    folder.touch()  # the newest use, for the clean-up below
    others = sorted((p for p in root.iterdir() if p.is_dir() and p != folder),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP_COMPARISONS - 1:]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


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
    folder = comparison_folder(list(eval_ids), metric, average)
    paths = []
    for fmt, suffix in (("csv", "csv"), ("markdown", "md"), ("latex", "tex"), ("json", "json")):
        path = folder / f"comparison.{suffix}"
        path.write_text(render_table(table, fmt), encoding="utf-8")
        paths.append(str(path))
    note = _t("table_note", lang)
    return to_markdown(table) + f"\n{note}", *paths


def read_by_names(lang: str) -> dict[str, str]:
    """Each reading rule's name in the page's language."""
    from chemtune.evaluate.extract import READ_RULES, UNPARSED_RULES

    return {rule: _t(f"read_{rule}", lang) for rule in (*READ_RULES, *UNPARSED_RULES)}


def inspect(eval_id, subset, which, lang="en"):
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
    figure = confusion_figure(
        load_predictions(eval_id),
        results["letters"],
        None if subset == "all" else subset,
        title=f"{results['label']} — {subset}",
    )
    rows = browse.question_rows(eval_id, which, subset, read_by_names(lang))
    return figure, gr.update(choices=subsets, value=subset), rows


def show_question(eval_id, rows, lang, evt: gr.SelectData):
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
    read_by = read_by_names(lang).get(p.get("read_by"), p.get("read_by"))
    head = (
        f"**{p['id']}** · {p['subset']} · gold **{p['gold']}** · predicted **{p.get('pred') or 'unparsed'}** "
        f"{'✓' if p['correct'] else '✗'}"
        + (f" · {_t('read_by', lang)}: *{read_by}*" if read_by else "")
        + f"\n\n{p['question']}\n\n{p['options']}{scores}"
    )
    raw = p.get("raw") or (f"⚠️ no answer: {p['error']}" if p.get("error") else "—")
    return head, p.get("prompt", ""), raw


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
    summary = _t(
        "contamination_summary",
        lang,
        flagged=result["flagged_count"],
        n=result["n"],
        rate=result["flagged_rate"],
        ngram=result["ngram"],
        threshold=result["threshold"],
        records=result["records_scanned"],
    )
    rows = [
        [
            f"{item['overlap']:.0%}",
            item["id"],
            item["subset"],
            item["question"],
            item["dataset"],
            item["record_id"],
        ]
        for item in result["flagged"]
    ]
    return summary, rows


def refresh_lists():
    from chemtune.records import list_datasets

    evals = browse.eval_choices()
    datasets = [row["name"] for row in list_datasets()]
    return (
        gr.update(choices=[("—", ""), *browse.adapter_choices()]),
        gr.update(choices=evals),
        gr.update(choices=evals),
        gr.update(choices=datasets),
    )


def follow_adapter(adapter, model):
    base = browse.adapter_base_model(adapter) if adapter else None
    return base or model


def stop(run_id, lang):
    from chemtune import jobs

    if not run_id:
        return _t("nothing_running", lang)
    try:
        jobs.abort(run_id)
    except ChemtuneError as error:
        return f"⚠️ {error}"
    return _t("stopping", lang, run=run_id)
