"""A study table as Markdown, LaTeX, CSV or JSON, and as one plotly figure, in English or Korean."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.evaluate.tasks import TABLE_COLUMNS
from chemtune.study.config import NONE

FORMATS = ("markdown", "latex", "csv", "json")
HEADERS = {
    "model": {"en": "Model", "ko": "모델"},
    "condition": {"en": "Tuning data", "ko": "학습 데이터"},
    "none": {"en": "none", "ko": "튜닝 없음"},
    "average": {"en": "Average", "ko": "평균(전체 문항)"},
    "mean": {"en": "Mean of sub-categories", "ko": "세부 분류 평균"},
    "delta": {"en": "Δ accuracy vs none [95% CI]", "ko": "정확도 차이(튜닝 없음 대비) [95% 신뢰구간]"},
    "p": {"en": "McNemar p", "ko": "맥니마 p값"},
    "overlap": {"en": "Overlap with tuning data", "ko": "학습 데이터와 겹침"},
    "not_checked": {"en": "not checked", "ko": "확인 못 함"},
    "macro_f1": {"en": "macro-F1", "ko": "매크로 F1"},
    "accuracy": {"en": "accuracy", "ko": "정확도"},
    "reference": {"en": "published", "ko": "논문 수치"},
    "note": {"en": "Best of each column in **bold**. * marks a difference whose 95% paired bootstrap "
                   "interval over questions excludes 0; ⚠ marks questions found in the cell's tuning data. "
                   "With several seeds: mean ± sd.",
             "ko": "열마다 가장 높은 값은 **굵게**. *는 문항 단위 95% 쌍체 부트스트랩 구간이 0을 "
                   "포함하지 않는 차이, ⚠는 그 셀의 학습 데이터에서 발견된 문항입니다. 시드가 여럿이면 "
                   "평균 ± 표준편차."},
    "figure_title": {"en": "{benchmark}: accuracy by sub-category (95% bootstrap intervals)",
                     "ko": "{benchmark}: 세부 분류별 정확도 (95% 부트스트랩 구간)"},
    "empty": {"en": "No finished evaluation yet.", "ko": "아직 끝난 평가가 없습니다."},
    "task_average": {"en": "Mean of tasks", "ko": "작업 평균"},
    "task_delta": {"en": "Δ {metric} vs none [95% CI]", "ko": "{metric} 차이(튜닝 없음 대비) [95% 신뢰구간]"},
    "task_note": {"en": "Best of each column in **bold**. * marks a difference whose 95% paired bootstrap "
                        "interval over records (resampled within each task) excludes 0; ⚠ marks records "
                        "found in the cell's tuning data. With several seeds: mean ± sd.",
                  "ko": "열마다 가장 높은 값은 **굵게**. *는 작업별로 레코드를 다시 뽑은 95% 쌍체 부트스트랩 "
                        "구간이 0을 포함하지 않는 차이, ⚠는 그 셀의 학습 데이터에서 발견된 레코드입니다. "
                        "시드가 여럿이면 평균 ± 표준편차."},
    "task_figure_title": {"en": "{benchmark}: {metric} by task (95% bootstrap intervals)",
                          "ko": "{benchmark}: 작업별 {metric} (95% 부트스트랩 구간)"},
}
# A task benchmark's metrics: how each is named and shown (the Evaluate tab's per-task table's columns).
TASK_COLUMNS = {metric: (english, korean, show) for metric, english, korean, show in TABLE_COLUMNS}


def say(key: str, lang: str = "en", **blanks: Any) -> str:
    text = HEADERS[key].get(lang) or HEADERS[key]["en"]
    return text.format(**blanks) if blanks else text


def condition_name(condition: str, lang: str = "en") -> str:
    return say("none", lang) if condition == NONE else condition


def _number(value: Any, spread: Any = None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" + (f" ± {spread:.4f}" if spread is not None else "")


def task_metric(table: dict[str, Any], metric: str | None) -> str:
    """The metric a task table shows: the one asked for where the table has it, else its first."""
    found = table.get("metrics") or ["chrf"]
    return metric if metric in found else found[0]


def metric_name(metric: str, lang: str = "en") -> str:
    if metric in TASK_COLUMNS:
        english, korean, _ = TASK_COLUMNS[metric]
        return korean if lang == "ko" else english
    return say(metric, lang)


def _overlap_text(check: dict | None, lang: str) -> str:
    if not check:
        return "—"
    if "error" in check:
        return say("not_checked", lang)
    return f"⚠ {check['flagged']}/{check['n']}" if check["flagged"] else f"0/{check['n']}"


def _best(numeric: list[list[float | None]], columns: int, first: int) -> set[tuple[int, int]]:
    best = set()
    for column in range(columns):
        column_values = [v[column] for v in numeric if v[column] is not None]
        if column_values:
            top = max(column_values)
            best |= {(i, column + first) for i, v in enumerate(numeric) if v[column] == top}
    return best


def task_grid(table: dict[str, Any], metric: str | None = None, lang: str = "en") -> dict[str, Any]:
    """A task benchmark's grid: one metric per task, the mean over tasks, its Δ from the `none` row."""
    metric = task_metric(table, metric)
    show = TASK_COLUMNS[metric][2]
    name = metric_name(metric, lang)
    subsets = table["subsets"]
    headers = [say("model", lang), say("condition", lang), *subsets, say("task_average", lang),
               say("task_delta", lang, metric=name), say("overlap", lang)]
    numeric, cells = [], []
    for row in table["rows"]:
        sd = row.get("sd") or {}
        values = [row["subsets"].get(s, {}).get(metric) for s in subsets] + [row["average"].get(metric)]
        spreads = [(sd.get("subsets", {}).get(s) or {}).get(metric) for s in subsets]
        spreads.append((sd.get("average") or {}).get(metric))
        numeric.append(values)
        texts = ["—" if v is None else show(v) + (f" ± {show(d)}" if d is not None else "")
                 for v, d in zip(values, spreads, strict=True)]
        found = ((row.get("delta") or {}).get("metrics") or {}).get(metric)
        delta_text = "—"
        if found:
            scale = 100 if metric in ("valid_json", "schema_valid") else 1  # shown in percent, like the cells
            delta_text = (f"{found['delta'] * scale:+.3g} [{found['ci_low'] * scale:+.3g}, "
                          f"{found['ci_high'] * scale:+.3g}]" + (" *" if found.get("excludes_zero") else ""))
        cells.append([row["model"], condition_name(row["condition"], lang), *texts, delta_text,
                      _overlap_text(row.get("contamination"), lang)])
    return {"headers": headers, "rows": cells, "best": _best(numeric, len(subsets) + 1, 2), "reference": [],
            "metric": metric}


def grid(table: dict[str, Any], metric: str = "macro_f1", lang: str = "en") -> dict[str, Any]:
    """Headers, text cells and which cells are the best of their column (the bold ones)."""
    if table.get("kind") == "tasks":
        return task_grid(table, metric, lang)
    if metric in TASK_COLUMNS:  # a task metric asked of an exam (one radio serves both kinds): macro-F1
        metric = "macro_f1"
    if metric not in ("macro_f1", "accuracy"):
        raise ChemtuneError(f"Unknown metric {metric!r}; use macro_f1 or accuracy.",
                            ko=f"알 수 없는 지표 {metric!r}; macro_f1 또는 accuracy를 쓰세요.")
    subsets = table["subsets"]
    headers = [say("model", lang), say("condition", lang), *subsets, say("average", lang), say("mean", lang),
               say("delta", lang), say("p", lang), say("overlap", lang)]
    numeric: list[list[float | None]] = []
    cells: list[list[str]] = []
    for row in table["rows"]:
        sd = row.get("sd") or {}
        values = [row["subsets"].get(s, {}).get(metric) for s in subsets]
        spreads = [(sd.get("subsets", {}).get(s) or {}).get(metric) for s in subsets]
        values += [row["average"].get(metric), row["mean"].get(metric)]
        spreads += [(sd.get("average") or {}).get(metric), (sd.get("mean") or {}).get(metric)]
        numeric.append(values)
        delta = row.get("delta")
        delta_text = p_text = "—"
        if delta:
            delta_text = (f"{delta['accuracy']:+.4f} [{delta['ci_low']:+.4f}, {delta['ci_high']:+.4f}]"
                          + (" *" if delta.get("excludes_zero") else ""))
            p_text = f"{delta['p_mcnemar']:.3g}"
        cells.append([row["model"], condition_name(row["condition"], lang),
                      *(_number(v, s) for v, s in zip(values, spreads, strict=True)),
                      delta_text, p_text, _overlap_text(row.get("contamination"), lang)])
    best = _best(numeric, len(subsets) + 2, 2)
    reference = []
    for ref in table.get("reference", []):
        values = ref.get("values", {})
        reference.append([f"{ref.get('label', '?')} ({say('reference', lang)})", "",
                          *(_number(values.get(s)) for s in subsets), _number(values.get("average")),
                          _number(values.get("mean")), "", "", ""])
    return {"headers": headers, "rows": cells, "best": best, "reference": reference, "metric": metric}


def markdown(table: dict[str, Any], metric: str = "macro_f1", lang: str = "en") -> str:
    g = grid(table, metric, lang)
    title = f"**{table['benchmark']}** — {metric_name(g['metric'], lang)}"
    if not g["rows"]:
        return f"{title}\n\n{say('empty', lang)}\n"
    lines = [title, "", "| " + " | ".join(g["headers"]) + " |", "|" + "---|" * len(g["headers"])]
    for i, row in enumerate(g["rows"]):
        lines.append("| " + " | ".join(f"**{c}**" if (i, j) in g["best"] else c for j, c in enumerate(row))
                     + " |")
    for row in g["reference"]:
        lines.append("| " + " | ".join(f"*{c}*" if c and c != "—" else c for c in row) + " |")
    note = say("task_note" if table.get("kind") == "tasks" else "note", lang)
    return "\n".join(lines + ["", note]) + "\n"


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("±", r"$\pm$"), ("Δ", r"$\Delta$"), ("⚠", r"(!)")):
        text = text.replace(a, b)
    return text


def latex(table: dict[str, Any], metric: str = "macro_f1", lang: str = "en") -> str:
    g = grid(table, metric, lang)
    lines = [r"\begin{tabular}{ll" + "r" * (len(g["headers"]) - 2) + "}", r"\hline",
             " & ".join(_latex_escape(h) for h in g["headers"]) + r" \\", r"\hline"]
    for i, row in enumerate(g["rows"]):
        lines.append(" & ".join(r"\textbf{" + _latex_escape(c) + "}" if (i, j) in g["best"]
                                else _latex_escape(c) for j, c in enumerate(row)) + r" \\")
    for row in g["reference"]:
        lines.append(" & ".join(r"\textit{" + _latex_escape(c) + "}" if c else "" for c in row) + r" \\")
    return "\n".join(lines + [r"\hline", r"\end{tabular}"]) + "\n"


def csv_text(table: dict[str, Any], lang: str = "en") -> str:
    """One line per row and metric, with every figure unrounded."""
    out = io.StringIO()
    writer = csv.writer(out)
    if table.get("kind") == "tasks":
        writer.writerow(["benchmark", "model", "condition", "metric", *table["subsets"], "average", "delta",
                         "ci_low", "ci_high", "flagged", "seeds"])
        for row in table["rows"]:
            deltas, check = (row.get("delta") or {}).get("metrics") or {}, row.get("contamination") or {}
            for metric in table.get("metrics") or []:
                delta = deltas.get(metric) or {}
                writer.writerow([table["benchmark"], row["model"], row["condition"], metric,
                                 *(row["subsets"].get(s, {}).get(metric) for s in table["subsets"]),
                                 row["average"].get(metric), delta.get("delta"), delta.get("ci_low"),
                                 delta.get("ci_high"), check.get("flagged"), len(row.get("seeds") or [])])
        return out.getvalue()
    writer.writerow(["benchmark", "model", "condition", "metric", *table["subsets"], "average", "mean",
                     "delta_accuracy", "ci_low", "ci_high", "p_mcnemar", "flagged", "seeds"])
    for row in table["rows"]:
        delta, check = row.get("delta") or {}, row.get("contamination") or {}
        for metric in ("macro_f1", "accuracy"):
            writer.writerow([table["benchmark"], row["model"], row["condition"], metric,
                             *(row["subsets"].get(s, {}).get(metric) for s in table["subsets"]),
                             row["average"].get(metric), row["mean"].get(metric), delta.get("accuracy"),
                             delta.get("ci_low"), delta.get("ci_high"), delta.get("p_mcnemar"),
                             check.get("flagged"), len(row.get("seeds") or [])])
    return out.getvalue()


def export(table: dict[str, Any], fmt: str, metric: str = "macro_f1", lang: str = "en") -> str:
    if fmt == "markdown":
        return markdown(table, metric, lang)
    if fmt == "latex":
        return latex(table, metric, lang)
    if fmt == "csv":
        return csv_text(table, lang)
    if fmt == "json":
        return json.dumps(table, ensure_ascii=False, indent=2, default=str) + "\n"
    raise ChemtuneError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.",
                        ko=f"알 수 없는 형식 {fmt!r}; {', '.join(FORMATS)} 중 하나를 쓰세요.")


def task_figure(table: dict[str, Any], metric: str | None = None, lang: str = "en") -> Any:
    """Grouped bars of one task metric: a group per task (and the mean), a bar per row, 95% intervals."""
    import numpy as np
    import plotly.graph_objects as go

    from chemtune.study.stats import task_average_interval
    from chemtune.study.tables import seed_statistics, task_value

    metric = task_metric(table, metric)
    value = task_value(metric)
    groups = [*table["subsets"], say("task_average", lang)]
    fig = go.Figure()
    for row in table["rows"]:
        per_task = seed_statistics(row["eval_ids"], metric)
        values, low, high = [], [], []
        for group in groups:
            chosen = per_task if group == groups[-1] else {group: per_task.get(group, {})}
            chosen = {t: np.array(list(r.values())) for t, r in chosen.items() if r}
            shown = (row["average"] if group == groups[-1] else row["subsets"].get(group, {})).get(metric)
            a, b = task_average_interval(chosen, None, value) if chosen else (shown, shown)
            values.append(shown)
            low.append(max(0.0, (shown or 0) - (a if a is not None else 0)))
            high.append(max(0.0, (b if b is not None else 0) - (shown or 0)))
        fig.add_bar(name=f"{row['model']} · {condition_name(row['condition'], lang)}", x=groups, y=values,
                    error_y={"type": "data", "array": high, "arrayminus": low, "visible": True})
    name = metric_name(metric, lang)
    fig.update_layout(barmode="group", title=say("task_figure_title", lang, benchmark=table["benchmark"],
                                                 metric=name),
                      yaxis={"title": name, "range": [0, 100 if metric == "chrf" else 5 if metric == "judge"
                                                      else 1]},
                      legend={"orientation": "h"}, margin={"l": 50, "r": 20, "t": 60, "b": 40}, height=420)
    return fig


def figure(table: dict[str, Any], lang: str = "en", metric: str | None = None) -> Any:
    """Grouped bars: one group per sub-category (and the average), one bar per row, 95% intervals."""
    if table.get("kind") == "tasks":
        return task_figure(table, metric, lang)
    import plotly.graph_objects as go

    from chemtune.evaluate.job import load_predictions
    from chemtune.study.stats import accuracy_interval

    groups = [*table["subsets"], say("average", lang)]
    fig = go.Figure()
    for row in table["rows"]:
        rows = [p for eval_id in row["eval_ids"] for p in load_predictions(eval_id)]
        values, low, high = [], [], []
        for group in groups:
            chosen = [float(bool(p.get("correct"))) for p in rows
                      if group == groups[-1] or p.get("subset") == group]
            value = (row["average"] if group == groups[-1] else row["subsets"].get(group, {})).get("accuracy")
            a, b = accuracy_interval(chosen) if chosen else (value, value)
            values.append(value)
            low.append(max(0.0, (value or 0) - a))
            high.append(max(0.0, b - (value or 0)))
        fig.add_bar(name=f"{row['model']} · {condition_name(row['condition'], lang)}", x=groups, y=values,
                    error_y={"type": "data", "array": high, "arrayminus": low, "visible": True})
    fig.update_layout(barmode="group", title=say("figure_title", lang, benchmark=table["benchmark"]),
                      yaxis={"title": say("accuracy", lang), "range": [0, 1]}, legend={"orientation": "h"},
                      margin={"l": 50, "r": 20, "t": 60, "b": 40}, height=420)
    return fig
