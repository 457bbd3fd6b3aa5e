"""The Data tab's Generate handlers: small functions that call chemtune.datagen and return component values.

A handler wired to many components takes one dict of named values (`values["concurrency"]`, …): the
declared options under their field names plus the page's own inputs ("api_key", "kind", "pasted",
"upload", "hf_id", "preview_n", "language"), so a reordered widget cannot swap two arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from chemtune.datagen.config import GenerateConfig
from chemtune.errors import ChemtuneError
from pages.data_form import make, refusal, rows_of, t, table
from pages.data_text import PREVIEW_COLUMNS, PRICE_COLUMNS, STRINGS

# The source option is made from these page inputs (pasted text, an uploaded file, or a dataset id).
SOURCE_INPUTS = ("kind", "pasted", "upload", "hf_id")


def task_choices(lang: str = "en") -> list[tuple[str, str]]:
    """(label, name) for every task: its title in the page's language; the user's own tasks by name."""
    from chemtune.datagen.tasks import all_tasks

    lang = lang if lang in ("en", "ko") else "en"
    return [(name if task.custom else f"{task.title.get(lang) or task.title['en']}", name)
            for name, task in all_tasks().items()]


def retitle_tasks(lang: str):
    """The task picker's labels after a language switch (the chosen task stays)."""
    return gr.update(choices=task_choices(lang))


def task_problems() -> str:
    """Why entries of the user's tasks.json were skipped (empty when all are fine)."""
    from chemtune.datagen.tasks import read_custom_tasks

    return "\n\n".join(f"⚠️ {problem}" for problem in read_custom_tasks()[1])


def fill_instruction(task_name: str, lang: str | None, prop: str | None):
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


def task_language(task_name: str):
    """A task's usual instruction language (Korean for the Korean-answer tasks)."""
    from chemtune.datagen.tasks import get_task

    try:
        return get_task(task_name).default_lang
    except ChemtuneError:
        return gr.skip()


def source_inputs(kind: str):
    """Show the inputs of the chosen source: pasted text, a file, or a dataset id (with its split)."""
    return (gr.update(visible=kind == "paste"), gr.update(visible=kind == "file"),
            gr.update(visible=kind == "hf"), gr.update(visible=kind == "hf"),
            gr.update(visible=kind != "paste"))


def file_columns(upload: str | None):
    from chemtune.datagen.sources import TEXT_COLUMNS, table_columns

    if not upload or Path(upload).suffix.lower() not in (".jsonl", ".json", ".csv", ".ndjson"):
        return gr.update(choices=[], value=None)
    try:
        columns = table_columns(upload)
    except ChemtuneError:
        return gr.update(choices=[], value=None)
    guess = next((c for c in TEXT_COLUMNS if c in columns), columns[0] if columns else None)
    return gr.update(choices=columns, value=guess)


def save_task(name: str, instruction: str, keys: str, lang: str):
    from chemtune.datagen.tasks import save_custom_task

    try:
        save_custom_task((name or "").strip(), instruction or "", keys or "")
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}", gr.update()
    return t("own_saved", lang, name=name.strip()), gr.update(choices=task_choices(lang), value=name.strip())


def price_rows(prices: dict[str, dict[str, float]] | None = None, lang: str = "en") -> Any:
    """The price table as the page shows it (the built-in prices unless given)."""
    from chemtune.datagen.client import DEFAULT_PRICES

    rows = [[name, p["input"], p["output"]] for name, p in (prices or DEFAULT_PRICES).items()]
    return table(rows, PRICE_COLUMNS, lang)


def _prices(value: Any) -> dict[str, dict[str, float]]:
    prices = {}
    for row in rows_of(value):
        if row and str(row[0]).strip():
            try:
                prices[str(row[0]).strip()] = {"input": float(row[1]), "output": float(row[2])}
            except (TypeError, ValueError, IndexError):
                raise refusal("bad_price", model=row[0]) from None
    return prices


def _source(values: dict[str, Any]) -> dict[str, Any]:
    """The source options (source, text_column, split) from the page's source inputs."""
    from chemtune import workspace
    from chemtune.datagen.sources import HF_PREFIX, save_pasted_text

    kind, column = values.get("kind") or "paste", values.get("text_column") or None
    if kind == "hf":
        if not (values.get("hf_id") or "").strip():
            raise refusal("need_hf_id")
        return {"source": HF_PREFIX + values["hf_id"].strip(), "text_column": column,
                "split": values.get("split") or "train"}
    if kind == "file":
        if not values.get("upload"):
            raise refusal("need_upload")
        return {"source": str(workspace.keep_upload(values["upload"])), "text_column": column,
                "split": "train"}
    return {"source": str(save_pasted_text(values.get("pasted") or "")), "text_column": None,
            "split": "train"}


def generate_config(values: dict[str, Any]) -> GenerateConfig:
    """The form's named values as a GenerateConfig; a refused value names its option."""
    from chemtune.datagen.tasks import get_task

    given = {name: values[name] for name in GenerateConfig.model_fields if name in values}
    given["prices"] = _prices(values.get("prices")) if "prices" in values else None
    task_name = given.get("task")
    extract = task_name == "extract_property"
    if not extract:
        given["property"] = None
    edited = (given.get("instruction") or "").strip()
    try:
        task = get_task(task_name)
        default = None if extract else task.instruction_text(given.get("lang") or task.default_lang, None)
    except ChemtuneError:
        default = None  # an unknown task is refused below, by its option's name
    given["instruction"] = edited if edited and edited != default else None
    given.update(_source(values))
    config = make(GenerateConfig, given, "gen_where")
    get_task(config.task)
    return config


def run_preview(values: dict[str, Any]):
    from chemtune.datagen.pipeline import preview
    from chemtune.datagen.sources import load_documents

    lang, n = values.get("language") or "en", int(values.get("preview_n") or 3)
    try:
        config = generate_config(values)
        docs = load_documents(config.source, config.text_column, n, config.split)
        rows = preview(docs, config, (values.get("api_key") or "").strip() or None, n)
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}", gr.update()
    shown = [[r["source"], r["instruction"], r["output"], "✓" if r["valid"] else "✗", r["reason"]]
             for r in rows]
    ok = sum(r["valid"] for r in rows)
    return t("previewed", lang, n=len(rows), ok=ok, bad=len(rows) - ok), table(shown, PREVIEW_COLUMNS, lang)


def start_run(values: dict[str, Any]):
    from chemtune.datagen import job

    lang = values.get("language") or "en"
    try:
        run = job.start(generate_config(values), api_key=(values.get("api_key") or "").strip() or None)
    except ChemtuneError as error:
        return gr.update(), f"⚠️ {error.text(lang)}"
    return run.run_id, t("started", lang, run=run.run_id)


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


def _cost(value: float | None, lang: str) -> str:
    return t("no_price", lang) if value is None else f"${value:.4f}"


def _state(state: str | None, lang: str) -> str:
    """A job's status in the page's language."""
    return t(f"state_{state}", lang) if f"state_{state}" in STRINGS else str(state)


def poll(run_id, seen, lang):
    """Timer tick: reattach to the newest generate run, show live counts, then the saved dataset."""
    from chemtune import jobs
    from pages.data_datasets import refresh_datasets

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
        message = t("running", lang, run=run_id, status=_state(state, lang), done=last.get("done", 0),
                    total=last.get("total", "?"), ok=last.get("succeeded", 0), failed=last.get("failed", 0),
                    cached=last.get("cached", 0),
                    tokens=last.get("prompt_tokens", 0) + last.get("completion_tokens", 0),
                    cost=_cost(last.get("cost_usd", 0.0), lang))
        return run_id, message, bar, key, gr.skip(), gr.skip()
    if state != "done":
        message = t("failed_run", lang, run=run_id, status=_state(state, lang),
                    error=status.get("error") or "")
        return run_id, message, bar, key, gr.skip(), gr.skip()
    result = status.get("result") or {}
    message = t("finished", lang, name=result.get("dataset"), ok=result.get("succeeded"),
                failed=result.get("failed"), dup=result.get("deduplicated"), cached=result.get("cached"),
                tokens=result.get("prompt_tokens", 0) + result.get("completion_tokens", 0),
                cost=_cost(result.get("cost_usd"), lang))
    overview, picker = refresh_datasets(None, lang)
    done = result.get("requested", 1)
    return run_id, message, progress_html(done, done), key, overview, picker
