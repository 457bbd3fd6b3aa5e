"""Paper-style comparison tables (rows models, columns each benchmark's sub-categories and average, best
in bold), their CSV / Markdown / LaTeX / JSON exports, and the confusion-matrix heatmap."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from chemtune.errors import ChemtuneError

METRICS = {
    "macro_f1": "macro-F1",
    "accuracy": "accuracy (= micro-F1)",
    "micro_f1": "micro-F1",
    "unparsed_rate": "unparsed rate",
}
AVERAGES = {"average": "Average", "mean": "Mean of sub-categories"}
FORMATS = ("markdown", "latex", "csv", "json")
LOWER_IS_BETTER = {"unparsed_rate"}
UNPARSED_COLUMN = "Unparsed"
# Methods whose score rests on reading a generated answer: their unparsed rate stands beside the score.
GENERATIVE = {"generate", "endpoint"}


@dataclass(frozen=True)
class Words:
    """The words a comparison table and the confusion heatmap show: English by default (the CLI's); the
    Evaluate tab passes its language's. Method and prompt-style ids missing from the maps show as ids."""

    model: str = "Model"
    averages: dict[str, str] = field(default_factory=lambda: dict(AVERAGES))
    unparsed_column: str = UNPARSED_COLUMN
    shots: str = "{k}-shot"
    prompts: str = "{style} prompts"
    methods: dict[str, str] = field(default_factory=dict)
    styles: dict[str, str] = field(default_factory=dict)
    confusion: str = "Confusion matrix"
    gold: str = "gold"
    predicted: str = "predicted"
    unparsed: str = "unparsed"
    share: str = "share of row"
    hover: str = "gold %{y}, predicted %{x}: %{text} questions (%{z:.0%} of gold %{y})"


ENGLISH = Words()


def _benchmark(result: dict) -> tuple[str, str]:
    """(key, shown name): a catalogue name, or an exam file's path shown by its file name."""
    key = str(result.get("benchmark") or result.get("exam") or "?")
    return key, str(result.get("exam") or key)


def row_labels(results: list[dict], words: Words = ENGLISH) -> list[str]:
    """Row names that tell the rows apart: method and k-shot added to default labels where runs differ,
    and the eval id added to any label still shared."""
    labels = [str(r.get("label") or r.get("model")) for r in results]
    styles = [r.get("prompt_style") or "chat" for r in results]  # evaluations before harness prompts
    differ = [key for key in ("method", "shots") if len({r.get(key) for r in results}) > 1]
    differ += ["prompt_style"] if len(set(styles)) > 1 else []
    for i, result in enumerate(results):
        if differ and not result.get("label_given"):
            method = str(result.get("method"))
            # an endpoint's default label already ends in "(endpoint)"
            keys = [key for key in differ if key != "method" or f"({method})" not in labels[i]]
            parts = [words.methods.get(method, method) if key == "method"
                     else words.prompts.format(style=words.styles.get(styles[i], styles[i]))
                     if key == "prompt_style"
                     else words.shots.format(k=result.get("shots"))
                     for key in keys]
            labels[i] += f" ({', '.join(parts)})" if parts else ""
    counts = {label: labels.count(label) for label in labels}
    return [
        f"{label} [{result.get('eval_id')}]" if counts[label] > 1 else label
        for label, result in zip(labels, results, strict=True)
    ]


def comparison(results: list[dict], metric: str = "macro_f1", average: str = "average",
               words: Words = ENGLISH) -> dict[str, Any]:
    """The table as data: {"columns", "rows": [{"model", "eval_id", "values": {column: value}}], "best"}.

    Columns are each benchmark's sub-categories in the order first seen, then that benchmark's average;
    with more than one benchmark a column is named "benchmark: sub-category". Rows from different
    benchmarks never share a column, so they are never bolded or averaged together. Where a benchmark has a
    generative row, an "Unparsed" column (the share of answers that named no option, over the same
    questions as the average) follows its average: a generative score means little without it. It is
    never bolded; `table["unparsed_columns"]` names these columns.
    """
    if metric not in METRICS:
        raise ChemtuneError(f"Unknown metric {metric!r}; use one of {', '.join(METRICS)}.",
                            ko=f"알 수 없는 지표 {metric!r}; {', '.join(METRICS)} 중 하나를 쓰세요.")
    if average not in AVERAGES:
        raise ChemtuneError(f"Unknown average {average!r}; use one of {', '.join(AVERAGES)}.",
                            ko=f"알 수 없는 평균 방식 {average!r}; {', '.join(AVERAGES)} 중 하나를 쓰세요.")
    if not results:
        raise ChemtuneError("Choose at least one finished evaluation to compare.",
                            ko="비교할 완료된 평가를 하나 이상 고르세요.")
    benchmarks: dict[str, dict] = {}
    for result in results:
        key, name = _benchmark(result)
        entry = benchmarks.setdefault(key, {"name": name, "subsets": []})
        for subset in result.get("subset_order") or list(result.get("subsets", {})):
            if subset not in entry["subsets"] and subset in result.get("subsets", {}):
                entry["subsets"].append(subset)
    names = [entry["name"] for entry in benchmarks.values()]
    for key, entry in benchmarks.items():
        if names.count(entry["name"]) > 1:  # two exam files with the same name: show their paths
            entry["name"] = key
    several = len(benchmarks) > 1
    columns: list[str] = []
    place: dict[str, tuple[str, str | None]] = {}  # column -> (benchmark key, sub-category or None = average)
    unparsed_columns: list[str] = []
    generative = {_benchmark(r)[0] for r in results if r.get("method") in GENERATIVE}
    for key, entry in benchmarks.items():
        prefix = f"{entry['name']}: " if several else ""
        for subset in [*entry["subsets"], None]:
            column = prefix + (subset if subset is not None else words.averages[average])
            columns.append(column)
            place[column] = (key, subset)
        if key in generative and metric != "unparsed_rate":
            column = prefix + words.unparsed_column
            columns.append(column)
            unparsed_columns.append(column)
            place[column] = (key, None)
    rows = []
    for result, label in zip(results, row_labels(results, words), strict=True):
        own = _benchmark(result)[0]
        values: dict[str, float | None] = {}
        for column, (key, subset) in place.items():
            if key != own:
                values[column] = None
            elif column in unparsed_columns:
                values[column] = (result.get(average) or {}).get("unparsed_rate")
            elif subset is None:
                values[column] = (result.get(average) or {}).get(metric)
            else:
                values[column] = result["subsets"].get(subset, {}).get(metric)
        rows.append(
            {
                "model": label,
                "eval_id": result.get("eval_id"),
                "benchmark": result.get("benchmark"),
                "method": result.get("method"),
                "prompt_style": result.get("prompt_style") or "chat",
                "shots": result.get("shots"),
                "values": values,
            }
        )
    best: dict[str, float] = {}
    pick = min if metric in LOWER_IS_BETTER else max
    for column in columns:
        if column in unparsed_columns:
            continue
        present = [row["values"][column] for row in rows if row["values"][column] is not None]
        if len(present) > 1:  # a lone value in its column is not "best" of anything
            best[column] = pick(present)
    return {
        "metric": metric,
        "average": average,
        "model_header": words.model,
        "columns": columns,
        "rows": rows,
        "best": best,
        "unparsed_columns": unparsed_columns,
    }


def _cell(value: float | None, digits: int, scale: float) -> str:
    return "–" if value is None else f"{value * scale:.{digits}f}"


def _is_best(table: dict, column: str, value: float | None) -> bool:
    # Compare after rounding for display is not wanted: ties at full precision are all bold.
    return value is not None and value == table["best"].get(column)


def to_markdown(table: dict, digits: int = 2, scale: float = 100.0) -> str:
    header = [table.get("model_header", "Model"), *table["columns"]]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([":---"] + ["---:"] * len(table["columns"])) + "|",
    ]
    for row in table["rows"]:
        cells = [str(row["model"]).replace("|", "\\|")]
        for column in table["columns"]:
            text = _cell(row["values"][column], digits, scale)
            cells.append(f"**{text}**" if _is_best(table, column, row["values"][column]) else text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _latex_escape(text: str) -> str:
    for char, escaped in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
    ):
        text = text.replace(char, escaped)
    return text


def to_latex(table: dict, digits: int = 2, scale: float = 100.0, caption: str | None = None) -> str:
    caption = caption or f"{METRICS[table['metric']]} (\\%) by sub-category; best in bold."
    spec = "l" + "r" * len(table["columns"])
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        f"\\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join([_latex_escape(table.get("model_header", "Model")),
                    *(_latex_escape(c) for c in table["columns"])]) + r" \\",
        r"\midrule",
    ]
    for row in table["rows"]:
        cells = [_latex_escape(str(row["model"]))]
        for column in table["columns"]:
            text = _cell(row["values"][column], digits, scale)
            cells.append(f"\\textbf{{{text}}}" if _is_best(table, column, row["values"][column]) else text)
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", f"\\caption{{{caption}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def to_csv(table: dict, digits: int = 4) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["model", "eval_id", *table["columns"]])
    for row in table["rows"]:
        writer.writerow(
            [
                row["model"],
                row["eval_id"],
                *(
                    "" if row["values"][c] is None else f"{row['values'][c]:.{digits}f}"
                    for c in table["columns"]
                ),
            ]
        )
    return out.getvalue()


def to_json(table: dict) -> str:
    return json.dumps(table, ensure_ascii=False, indent=2) + "\n"


def render_table(table: dict, fmt: str) -> str:
    """The table in one of FORMATS."""
    if fmt in ("md", "markdown"):
        return to_markdown(table)
    if fmt in ("tex", "latex"):
        return to_latex(table)
    if fmt == "csv":
        return to_csv(table)
    if fmt == "json":
        return to_json(table)
    raise ChemtuneError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.",
                        ko=f"알 수 없는 형식 {fmt!r}; {', '.join(FORMATS)} 중 하나를 쓰세요.")


def confusion_figure(rows: list[dict], letters: str, subset: str | None = None, title: str = "",
                     words: Words = ENGLISH) -> Any:
    """A plotly heatmap: gold option (rows) × predicted option (columns, with 'unparsed')."""
    import plotly.graph_objects as go

    from chemtune.evaluate.metrics import UNPARSED, confusion

    gold, pred, counts = confusion(rows, letters, subset)
    pred = [words.unparsed if label == UNPARSED else label for label in pred]
    totals = [sum(row) or 1 for row in counts]
    share = [[count / total for count in row] for row, total in zip(counts, totals, strict=True)]
    figure = go.Figure(
        go.Heatmap(
            z=share,
            x=pred,
            y=gold,
            colorscale="Blues",
            zmin=0,
            zmax=1,
            text=counts,
            texttemplate="%{text}",
            hovertemplate=words.hover + "<extra></extra>",
            colorbar={"title": words.share},
        )
    )
    figure.update_layout(
        title=title or words.confusion + (f" — {subset}" if subset else ""),
        xaxis_title=words.predicted,
        yaxis_title=words.gold,
        yaxis_autorange="reversed",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return figure
