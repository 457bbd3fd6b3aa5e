"""The Data tab's event handlers: small functions that call chemtune.datagen and return component values."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from chemtune.errors import ChemtuneError
from pages.data_text import STRINGS
from pages.i18n import lookup

PREVIEW_HEADERS = ["source", "instruction", "output", "valid?", "reason"]
ROW_HEADERS = ["id", "task", "lang", "instruction", "input", "output", "source"]
OVERVIEW_HEADERS = ["name", "records", "by task", "by language", "origin", "created"]
FAILURE_HEADERS = ["kind", "source", "reason", "raw answer", "input"]
PRICE_HEADERS = ["model", "input", "output"]
MIX_HEADERS = ["dataset", "languages", "tasks", "ratio"]


def _t(key: str, lang: str, **args: Any) -> str:
    return lookup(STRINGS, key, lang if lang in ("en", "ko") else "en", args or None)


def _cost(value: float | None, lang: str) -> str:
    return _t("no_price", lang) if value is None else f"${value:.4f}"


# ---- generate --------------------------------------------------------------------------------------


def task_choices(lang: str = "en") -> list[tuple[str, str]]:
    """(label, name) for every task: "keywords — Keywords"; the user's own tasks by name."""
    from chemtune.datagen.tasks import all_tasks

    return [(name if task.custom else f"{name} — {task.title.get(lang) or task.title['en']}", name)
            for name, task in all_tasks().items()]


def task_problems() -> str:
    """Why entries of the user's tasks.json were skipped (empty when all are fine)."""
    from chemtune.datagen.tasks import read_custom_tasks

    return "\n\n".join(f"⚠️ {problem}" for problem in read_custom_tasks()[1])


def fill_instruction(task_name: str, lang: str, prop: str):
    """The catalogue's instruction for a task and language; the property picker only for extract_property."""
    from chemtune.datagen.tasks import get_task, property_params

    try:
        task = get_task(task_name)
    except ChemtuneError:
        return gr.update(), gr.update(visible=False)
    params = property_params(prop) if task.name == "extract_property" and prop else None
    return task.instruction_text(lang or task.default_lang, params), gr.update(
        visible=task.name == "extract_property"
    )


def source_choices(lang: str):
    """The 'documents from' choices in the page's language."""
    return gr.update(choices=[(_t(key, lang), value) for key, value in
                              (("src_paste", "paste"), ("src_file", "file"), ("src_hf", "hf"))])


def task_language(task_name: str):
    """A task's usual instruction language (Korean for the Korean-answer tasks)."""
    from chemtune.datagen.tasks import get_task

    try:
        return get_task(task_name).default_lang
    except ChemtuneError:
        return gr.skip()


def file_columns(upload: str | None):
    from chemtune.datagen.sources import table_columns

    if not upload or Path(upload).suffix.lower() not in (".jsonl", ".json", ".csv", ".ndjson"):
        return gr.update(choices=[], value=None)
    try:
        columns = table_columns(upload)
    except ChemtuneError:
        return gr.update(choices=[], value=None)
    from chemtune.datagen.sources import TEXT_COLUMNS

    guess = next((c for c in TEXT_COLUMNS if c in columns), columns[0] if columns else None)
    return gr.update(choices=columns, value=guess)


def save_task(name: str, instruction: str, keys: str, lang: str):
    from chemtune.datagen.tasks import save_custom_task

    try:
        save_custom_task((name or "").strip(), instruction or "", keys or "")
    except ChemtuneError as error:
        return f"⚠️ {error}", gr.update()
    return _t("own_saved", lang, name=name.strip()), gr.update(choices=task_choices(lang), value=name.strip())


def _config(task, lang, prop, instruction, base_url, model, temperature, concurrency, max_tokens, dedup,
            threshold, prices, batch_api=False):
    from chemtune.datagen.client import LLMSettings
    from chemtune.datagen.pipeline import GenerateConfig
    from chemtune.datagen.tasks import get_task

    table = {}
    rows = prices.values.tolist() if hasattr(prices, "values") else (prices or [])
    for row in rows:
        if row and str(row[0]).strip():
            try:
                table[str(row[0]).strip()] = {"input": float(row[1]), "output": float(row[2])}
            except (TypeError, ValueError, IndexError):
                raise ChemtuneError(f"Price table, model {row[0]!r}: prices must be numbers.") from None
    default = get_task(task).instruction_text(lang, None) if task != "extract_property" else None
    edited = (instruction or "").strip()
    llm = LLMSettings(
        base_url=(base_url or "").strip() or LLMSettings().base_url,
        model=(model or "").strip() or LLMSettings().model,
        temperature=float(temperature),
        max_tokens=int(max_tokens),
    )
    return GenerateConfig(
        task=task,
        lang=lang,
        property=prop if task == "extract_property" else None,
        instruction=edited if edited and edited != default else None,
        llm=llm,
        concurrency=int(concurrency),
        dedup=bool(dedup),
        dedup_threshold=float(threshold),
        prices=table,
        batch_api=bool(batch_api),
    )


def _source(kind: str, pasted: str, upload: str | None, column: str | None, hf_id: str, split: str):
    """(source for load_documents / the job config, text column, split)."""
    from chemtune import workspace
    from chemtune.datagen.sources import HF_PREFIX, save_pasted_text

    if kind == "hf":
        if not (hf_id or "").strip():
            raise ChemtuneError("Enter a Hugging Face dataset id (or a local dataset folder).")
        return HF_PREFIX + hf_id.strip(), (column or None), (split or "train")
    if kind == "file":
        if not upload:
            raise ChemtuneError("Upload a file with the documents first.")
        return str(workspace.keep_upload(upload)), (column or None), "train"
    return str(save_pasted_text(pasted or "")), None, "train"


def run_preview(n, api_key, lang, kind, pasted, upload, column, hf_id, split, *settings):
    from chemtune.datagen.pipeline import preview
    from chemtune.datagen.sources import load_documents

    try:
        config = _config(*settings)
        source, text_column, split = _source(kind, pasted, upload, column, hf_id, split)
        docs = load_documents(source, text_column, int(n), split)
        rows = preview(docs, config, (api_key or "").strip() or None, int(n))
    except ChemtuneError as error:
        return f"⚠️ {error}", gr.update()
    table = [
        [r["source"], r["instruction"], r["output"], "✓" if r["valid"] else "✗", r["reason"]] for r in rows
    ]
    ok = sum(r["valid"] for r in rows)
    return _t("previewed", lang, n=len(rows), ok=ok, bad=len(rows) - ok), table


def start_run(name, api_key, lang, kind, pasted, upload, column, hf_id, split, *settings):
    from chemtune.datagen import job

    try:
        config = _config(*settings)
        source, text_column, split = _source(kind, pasted, upload, column, hf_id, split)
        run = job.start(
            (name or "").strip(),
            source,
            config,
            api_key=(api_key or "").strip() or None,
            text_column=text_column,
            split=split,
        )
    except ChemtuneError as error:
        return gr.update(), f"⚠️ {error}"
    return run.run_id, _t("started", lang, run=run.run_id)


def abort_run(run_id):
    from chemtune import jobs

    if run_id:
        try:
            jobs.abort(run_id)
        except ChemtuneError:
            pass


def progress_html(done: int, total: int | None) -> str:
    share = done / total if total else 0.0
    return (
        f"<div id='data-progress' data-done='{done}' data-total='{total or 0}' style='background:#e5e7eb;"
        f"border-radius:6px;height:14px'><div style='width:{share * 100:.1f}%;background:#059669;height:14px;"
        f"border-radius:6px'></div></div>"
        f"<div style='font-size:0.85em'>{done}/{total or '?'} ({share:.0%})</div>"
    )


def poll(run_id, seen, lang):
    """Timer tick: reattach to the newest generate run, show live counts, then the saved dataset."""
    from chemtune import jobs

    if not run_id:
        runs = jobs.list_runs(kind="generate")
        active = [r for r in runs if r.get("status") in jobs.ACTIVE]
        run_id = (active or runs or [{}])[0].get("run_id")
    if not run_id:
        return gr.skip(), gr.skip(), gr.skip(), seen, gr.skip(), gr.skip()
    try:
        run = jobs.run_folder(run_id)
    except ChemtuneError:
        return None, gr.skip(), gr.skip(), None, gr.skip(), gr.skip()
    status = run.status()
    state = status.get("status")
    last = run.last_event("progress")
    key = f"{run_id}:{state}:{last.get('done')}:{lang}"
    if key == seen:
        return run_id, gr.skip(), gr.skip(), seen, gr.skip(), gr.skip()
    bar = progress_html(last.get("done", 0), last.get("total"))
    if state in jobs.ACTIVE:
        message = _t(
            "running",
            lang,
            run=run_id,
            status=state,
            done=last.get("done", 0),
            total=last.get("total", "?"),
            ok=last.get("succeeded", 0),
            failed=last.get("failed", 0),
            cached=last.get("cached", 0),
            tokens=last.get("prompt_tokens", 0) + last.get("completion_tokens", 0),
            cost=_cost(last.get("cost_usd", 0.0), lang),
        )
        return run_id, message, bar, key, gr.skip(), gr.skip()
    if state != "done":
        message = _t("failed_run", lang, run=run_id, status=state, error=status.get("error") or "")
        return run_id, message, bar, key, gr.skip(), gr.skip()
    result = status.get("result") or {}
    message = _t(
        "finished",
        lang,
        name=result.get("dataset"),
        ok=result.get("succeeded"),
        failed=result.get("failed"),
        dup=result.get("deduplicated"),
        cached=result.get("cached"),
        tokens=result.get("prompt_tokens", 0) + result.get("completion_tokens", 0),
        cost=_cost(result.get("cost_usd"), lang),
    )
    overview, picker = refresh_datasets()
    return (
        run_id,
        message,
        progress_html(result.get("requested", 1), result.get("requested", 1)),
        key,
        overview,
        picker,
    )


# ---- datasets, import, export -------------------------------------------------------------------------


def refresh_datasets(selected: str | None = None):
    from chemtune.datagen.views import overview_table

    rows = overview_table()
    names = [row[0] for row in rows]
    return rows, gr.update(choices=names, value=selected if selected in names else None)


def show_dataset(name, page, lang):
    from chemtune.datagen import views

    if not name:
        return "", None, None, [], []
    try:
        info = views.dataset_overview(name)
        records = views.load(name)
        failed, problems = views.read_failures(name)
    except ChemtuneError as error:
        return f"⚠️ {error}", None, None, [], []
    tokens = (info.get("prompt_tokens") or 0) + (info.get("completion_tokens") or 0)
    summary = _t(
        "summary",
        lang,
        name=name,
        count=info["count"],
        origin=info["origin"],
        failed=info["failed"],
        dup=info["duplicates_removed"],
        tokens=tokens,
        cost=_cost(info.get("cost_usd"), lang),
    )
    failures = [
        [
            f.get("kind", ""),
            f.get("source", ""),
            f.get("reason", ""),
            str(f.get("raw") or "")[:300],
            str(f.get("input") or "")[:200],
        ]
        for f in failed
    ]
    summary = "\n\n".join([summary, *(f"⚠️ {problem}" for problem in problems)])
    return (
        summary,
        views.counts_figure(records),
        views.length_figure(records),
        views.rows_page(records, int(page or 1)),
        failures,
    )


def delete_dataset(name, confirm, lang):
    from chemtune.records import delete_dataset as delete

    if not confirm:
        return _t("confirm_first", lang), gr.skip(), gr.skip(), False
    try:
        delete(name)
    except ChemtuneError as error:
        return f"⚠️ {error}", gr.skip(), gr.skip(), False
    overview, picker = refresh_datasets()
    return (
        _t("deleted", lang, name=name),
        overview,
        gr.update(choices=[r[0] for r in overview], value=None),
        False,
    )


def export_file(name, fmt, lang):
    from chemtune.datagen.export import export_dataset

    try:
        folder = Path(tempfile.mkdtemp(prefix="chemtune-export-"))
        result = export_dataset(name, folder / f"{name}-{fmt}.jsonl", fmt)
    except ChemtuneError as error:
        return None, f"⚠️ {error}"
    return result["path"], _t("done_to", lang, count=result["count"], where=Path(result["path"]).name)


def save_disk(name, path, lang):
    from chemtune.datagen.export import save_to_disk

    try:
        if not (path or "").strip():
            raise ChemtuneError("Enter a folder to save into.")
        result = save_to_disk(name, path.strip())
    except ChemtuneError as error:
        return f"⚠️ {error}"
    return _t("done_to", lang, count=result["count"], where=result["path"])


def push(name, repo, token, private, lang):
    import os

    from chemtune.datagen.export import push_to_hub

    try:
        result = push_to_hub(
            name,
            (repo or "").strip(),
            token=(token or "").strip() or os.environ.get("HF_TOKEN"),
            private=bool(private),
        )
    except ChemtuneError as error:
        return f"⚠️ {error}"
    return _t("done_to", lang, count=result["count"], where=result["url"])


def do_import(upload, hf_id, fmt, name, dedup, lang):
    from chemtune.datagen.importers import import_dataset

    try:
        source = f"hf:{hf_id.strip()}" if (hf_id or "").strip() else upload
        if not source:
            raise ChemtuneError("Upload a file or enter a Hugging Face dataset id.")
        result = import_dataset(source, (name or "").strip(), kind=fmt, dedup=bool(dedup))
    except ChemtuneError as error:
        return f"⚠️ {error}", gr.skip(), gr.skip()
    overview, picker = refresh_datasets()
    return (
        _t("imported", lang, n=result["imported"], name=result["dataset"], dup=result["deduplicated"]),
        overview,
        picker,
    )


def build_mix(parts, name, seed, lang):
    from chemtune.datagen.mixtures import build_mixture

    rows = parts.values.tolist() if hasattr(parts, "values") else (parts or [])
    try:
        spec = []
        for row in rows:
            if not row or not str(row[0]).strip():
                continue
            split = [x.strip() for x in str(row[1] or "").split(",") if x.strip()]
            tasks = [x.strip() for x in str(row[2] or "").split(",") if x.strip()]
            spec.append(
                {
                    "dataset": str(row[0]).strip(),
                    "langs": split,
                    "tasks": tasks,
                    "ratio": float(row[3] if row[3] not in ("", None) else 1),
                }
            )
        result = build_mixture((name or "").strip(), spec, seed=int(seed or 0))
    except (ChemtuneError, ValueError) as error:
        return f"⚠️ {error}", gr.skip(), gr.skip()
    overview, picker = refresh_datasets()
    return _t("mixed", lang, name=result["dataset"], count=result["count"]), overview, picker
