"""The Data tab's Import and Datasets handlers: list, show, export, mix, delete and import datasets.

Handlers wired to several components take one dict of named values (see pages/data.py); tables come back
with their headers in the page's language.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from chemtune.datagen.config import ImportConfig
from chemtune.errors import ChemtuneError
from pages.data_form import make, refusal, rows_of, t, table
from pages.data_handlers import task_choices
from pages.data_text import FAILURE_COLUMNS, OVERVIEW_COLUMNS, ROW_COLUMNS, STRINGS


def _origin(origin: Any, lang: str) -> str:
    key = f"origin_{str(origin).removesuffix(' sample')}"
    return t(key, lang) if key in STRINGS else str(origin)


def refresh_datasets(selected: str | None = None, lang: str = "en"):
    """The overview table and the picker's names (the chosen one kept if it is still there)."""
    from chemtune.datagen.views import overview_table

    rows = [[*row[:4], _origin(row[4], lang), *row[5:]] for row in overview_table(figure_text(lang))]
    names = [row[0] for row in rows]
    return table(rows, OVERVIEW_COLUMNS, lang), gr.update(choices=names,
                                                          value=selected if selected in names else None)


def figure_text(lang: str) -> dict[str, Any]:
    """The dataset plots' words in the page's language."""
    return {"records": t("fig_records", lang), "language": t("fig_language", lang),
            "chars": t("fig_chars", lang, field="{field}"),
            "fields": {"instruction": t("col_instruction", lang), "input": t("col_input", lang),
                       "output": t("col_output", lang)},
            "langs": {"en": t("lang_en", lang), "ko": t("lang_ko", lang)},
            "tasks": {name: title for title, name in task_choices(lang)}}


def show_dataset(name, page, lang):
    """Summary, the two plots, a page of records and the failures of dataset `name`."""
    from chemtune.datagen import views

    empty = table([], ROW_COLUMNS, lang), table([], FAILURE_COLUMNS, lang)
    if not name:
        return "", None, None, *empty
    try:
        info = views.dataset_overview(name)
        records = views.load(name)
        failed, problems = views.read_failures(name)
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}", None, None, *empty
    tokens = (info.get("prompt_tokens") or 0) + (info.get("completion_tokens") or 0)
    summary = t("summary", lang, name=name, count=info["count"], origin=_origin(info["origin"], lang),
                failed=info["failed"], dup=info["duplicates_removed"], tokens=tokens,
                cost=t("no_price", lang) if info.get("cost_usd") is None else f"${info['cost_usd']:.4f}")
    failures = [[f.get("kind", ""), f.get("source", ""), f.get("reason", ""), str(f.get("raw") or "")[:300],
                 str(f.get("input") or "")[:200]] for f in failed]
    summary = "\n\n".join([summary, *(f"⚠️ {problem}" for problem in problems)])
    words = figure_text(lang)
    return (summary, views.counts_figure(records, words), views.length_figure(records, text=words),
            table(views.rows_page(records, int(page or 1)), ROW_COLUMNS, lang),
            table(failures, FAILURE_COLUMNS, lang))


def delete_dataset(name, confirm, lang):
    from chemtune.records import delete_dataset as delete

    if not confirm:
        return t("confirm_first", lang), gr.skip(), gr.skip(), False
    try:
        delete(name)
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}", gr.skip(), gr.skip(), False
    overview, picker = refresh_datasets(None, lang)
    return t("deleted", lang, name=name), overview, picker, False


def export_file(name, fmt, lang):
    from chemtune.datagen.export import export_dataset

    try:
        folder = Path(tempfile.mkdtemp(prefix="chemtune-export-"))
        result = export_dataset(name, folder / f"{name}-{fmt}.jsonl", fmt)
    except ChemtuneError as error:
        return None, f"⚠️ {error.text(lang)}"
    return result["path"], t("done_to", lang, count=result["count"], where=Path(result["path"]).name)


def save_disk(name, path, lang):
    from chemtune.datagen.export import save_to_disk

    try:
        if not (path or "").strip():
            raise refusal("need_folder")
        result = save_to_disk(name, path.strip())
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}"
    return t("done_to", lang, count=result["count"], where=result["path"])


def push(values: dict[str, Any]):
    """Push the chosen dataset to the Hub: values dataset, repo, token, private, language."""
    import os

    from chemtune.datagen.export import push_to_hub

    lang = values.get("language") or "en"
    try:
        result = push_to_hub(values.get("dataset"), (values.get("repo") or "").strip(),
                             token=(values.get("token") or "").strip() or os.environ.get("HF_TOKEN"),
                             private=bool(values.get("private")))
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}"
    return t("done_to", lang, count=result["count"], where=result["url"])


def do_import(values: dict[str, Any]):
    """Import a file or a Hub dataset: values upload, hf_id, name, language and ImportConfig's options."""
    from chemtune.datagen.importers import import_dataset

    lang = values.get("language") or "en"
    try:
        config = make(ImportConfig, {k: values[k] for k in ImportConfig.model_fields if k in values},
                      "imp_where")
        hf_id = (values.get("hf_id") or "").strip()
        source = f"hf:{hf_id}" if hf_id else values.get("upload")
        if not source:
            raise refusal("need_import_source")
        result = import_dataset(source, (values.get("name") or "").strip(), kind=config.format,
                                split=config.split, limit=config.limit or None, dedup=config.dedup,
                                threshold=config.dedup_threshold)
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}", gr.skip(), gr.skip()
    overview, picker = refresh_datasets(None, lang)
    message = t("imported", lang, n=result["imported"], name=result["dataset"], dup=result["deduplicated"])
    return message, overview, picker


def build_mix(values: dict[str, Any]):
    """Build a mixture: values parts (the table), name, seed, language."""
    from chemtune.datagen.mixtures import build_mixture

    lang = values.get("language") or "en"
    try:
        spec = []
        for number, row in enumerate(rows_of(values.get("parts")), start=1):
            if not row or not str(row[0]).strip():
                continue
            try:
                ratio = float(row[3] if row[3] not in ("", None) else 1)
            except (TypeError, ValueError):
                raise refusal("bad_ratio", n=number) from None
            spec.append({"dataset": str(row[0]).strip(),
                         "langs": [x.strip() for x in str(row[1] or "").split(",") if x.strip()],
                         "tasks": [x.strip() for x in str(row[2] or "").split(",") if x.strip()],
                         "ratio": ratio})
        result = build_mixture((values.get("name") or "").strip(), spec, seed=int(values.get("seed") or 0))
    except ChemtuneError as error:
        return f"⚠️ {error.text(lang)}", gr.skip(), gr.skip()
    overview, picker = refresh_datasets(None, lang)
    return t("mixed", lang, name=result["dataset"], count=result["count"]), overview, picker
