"""What the datasets view shows, computed here so the UI, CLI and tests share it: an overview per dataset,
counts by task and language, length histograms (plotly), pages of rows and the failures."""

from __future__ import annotations

import json
from typing import Any

from chemtune import workspace
from chemtune.records import (
    FAILURES_FILE,
    META_FILE,
    SAMPLE_NAME,
    Record,
    dataset_records_path,
    list_datasets,
    load_dataset_records,
)

COLOURS = {"en": "#1f77b4", "ko": "#d62728"}
# What the plots say, in English; a page passes its own language's words (same keys).
FIGURE_TEXT = {"records": "records", "language": "language", "chars": "{field} (characters)",
               "fields": {"instruction": "instruction", "input": "input", "output": "output"},
               "langs": {"en": "English", "ko": "Korean"}, "tasks": {}}
ROW_COLUMNS = ("id", "task", "lang", "instruction", "input", "output", "source")


def read_failures(name: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The failures.jsonl rows of a dataset (none for the sample), and a message for each unreadable line."""
    if name == SAMPLE_NAME:
        return [], []
    path = workspace.folder("datasets", name) / FAILURES_FILE
    if not path.is_file():
        return [], []
    rows, problems = [], []
    # A hand edit or a full disk can break a line; the others are still worth showing.
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            problems.append(f"{FAILURES_FILE}, line {number}: not valid JSON (skipped)")
            continue
        if isinstance(row, dict):
            rows.append(row)
        else:
            problems.append(f"{FAILURES_FILE}, line {number}: not a JSON object (skipped)")
    return rows, problems


def failures(name: str) -> list[dict[str, Any]]:
    """The readable failures.jsonl rows of a dataset (none for the sample)."""
    return read_failures(name)[0]


def meta(name: str) -> dict[str, Any]:
    if name == SAMPLE_NAME:
        return {"origin": "bundled sample"}
    return workspace.read_json(workspace.folder("datasets", name) / META_FILE, {}) or {}


def dataset_overview(name: str) -> dict[str, Any]:
    """Counts by task and language, origin, tokens and cost, failures: one dataset at a glance."""
    dataset_records_path(name)  # a clear error for an unknown name
    info = next((row for row in list_datasets() if row["name"] == name), {"name": name})
    data = meta(name)
    failed, problems = read_failures(name)
    return {
        "name": name,
        "count": info.get("count"),
        "tasks": info.get("tasks"),
        "langs": info.get("langs"),
        "created": info.get("created"),
        "origin": data.get("origin", "saved"),
        "failed": sum(1 for row in failed if row.get("kind") != "duplicate"),
        "duplicates_removed": sum(1 for row in failed if row.get("kind") == "duplicate")
        or (data.get("dedup") or {}).get("removed", 0),
        "prompt_tokens": (data.get("usage") or {}).get("prompt_tokens"),
        "completion_tokens": (data.get("usage") or {}).get("completion_tokens"),
        "cost_usd": data.get("cost_usd"),
        "model": _teacher_model(data.get("generation") or {}),
        "path": info.get("path"),
        "warnings": problems,
        "meta": data,
    }


def _teacher_model(generation: dict[str, Any]) -> str | None:
    """The teacher's model name (older datasets kept it under `llm`)."""
    return generation.get("model") or (generation.get("llm") or {}).get("model")


def overview_table(text: dict[str, Any] | None = None) -> list[list[Any]]:
    """One row per dataset: name, records, by task, by language, origin, created (task and language names
    as `text` words them, as for the plots)."""
    text = {**FIGURE_TEXT, **(text or {})}
    rows = []
    for info in list_datasets():
        tasks = ", ".join(f"{text['tasks'].get(k, k)} {v}" for k, v in (info.get("tasks") or {}).items())
        langs = ", ".join(f"{text['langs'].get(k, k)} {v}" for k, v in (info.get("langs") or {}).items())
        if info.get("builtin"):
            origin = "bundled"
        elif info.get("error"):
            origin = f"⚠️ {info['error']}"
        else:
            origin = meta(info["name"]).get("origin", "saved")
        rows.append([info["name"], info.get("count"), tasks, langs, origin, info.get("created", "")])
    return rows


def rows_page(records: list[Record], page: int = 1, size: int = 20) -> list[list[str]]:
    """Page `page` (1-based) of records as table rows, long texts shortened."""
    start = max(0, (page - 1) * size)
    shown = []
    for record in records[start : start + size]:
        row = record.to_dict()
        shown.append([_short(str(row.get(column, "") or ""), 400) for column in ROW_COLUMNS])
    return shown


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def length_figure(records: list[Record], title: str = "", text: dict[str, Any] | None = None) -> Any:
    """Histograms of instruction, input and output lengths (characters), one colour per language."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    text = {**FIGURE_TEXT, **(text or {})}
    fields = ("instruction", "input", "output")
    figure = make_subplots(rows=1, cols=3, subplot_titles=[
        text["chars"].format(field=text["fields"].get(field, field)) for field in fields])
    for lang in sorted({record.lang for record in records}):
        chosen = [record for record in records if record.lang == lang]
        for column, field in enumerate(fields, start=1):
            figure.add_trace(
                go.Histogram(
                    x=[len(getattr(r, field)) for r in chosen],
                    name=text["langs"].get(lang, lang),
                    marker_color=COLOURS.get(lang),
                    opacity=0.7,
                    nbinsx=30,
                    legendgroup=lang,
                    showlegend=column == 1,
                ),
                row=1,
                col=column,
            )
    figure.update_layout(
        barmode="overlay",
        height=300,
        margin={"l": 30, "r": 10, "t": 50, "b": 30},
        title=title or None,
        legend_title_text=text["language"],
    )
    return figure


def counts_figure(records: list[Record], text: dict[str, Any] | None = None) -> Any:
    """Records per task, stacked by language."""
    import plotly.graph_objects as go

    text = {**FIGURE_TEXT, **(text or {})}
    tasks = sorted({record.task for record in records})
    figure = go.Figure()
    for lang in sorted({record.lang for record in records}):
        counts = [sum(1 for r in records if r.task == t and r.lang == lang) for t in tasks]
        figure.add_trace(go.Bar(x=[text["tasks"].get(t, t) for t in tasks], y=counts,
                                name=text["langs"].get(lang, lang),
                                marker_color=COLOURS.get(lang)))
    figure.update_layout(
        barmode="stack",
        height=280,
        margin={"l": 30, "r": 10, "t": 30, "b": 30},
        yaxis_title=text["records"],
        legend_title_text=text["language"],
    )
    return figure


def load(name: str) -> list[Record]:
    return load_dataset_records(name)
