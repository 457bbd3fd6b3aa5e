"""A study table as Markdown, LaTeX, CSV or JSON, and as one plotly figure, in English or Korean."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chemtune.errors import ChemtuneError
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
}


def say(key: str, lang: str = "en", **blanks: Any) -> str:
    text = HEADERS[key].get(lang) or HEADERS[key]["en"]
    return text.format(**blanks) if blanks else text


def condition_name(condition: str, lang: str = "en") -> str:
    return say("none", lang) if condition == NONE else condition


def _number(value: Any, spread: Any = None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" + (f" ± {spread:.4f}" if spread is not None else "")


def grid(table: dict[str, Any], metric: str = "macro_f1", lang: str = "en") -> dict[str, Any]:
    """Headers, text cells and which cells are the best of their column (the bold ones)."""
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
        delta, check = row.get("delta"), row.get("contamination")
        delta_text = p_text = overlap_text = "—"
        if delta:
            delta_text = (f"{delta['accuracy']:+.4f} [{delta['ci_low']:+.4f}, {delta['ci_high']:+.4f}]"
                          + (" *" if delta.get("excludes_zero") else ""))
            p_text = f"{delta['p_mcnemar']:.3g}"
        if check:
            overlap_text = (say("not_checked", lang) if "error" in check
                            else f"⚠ {check['flagged']}/{check['n']}" if check["flagged"]
                            else f"0/{check['n']}")
        cells.append([row["model"], condition_name(row["condition"], lang),
                      *(_number(v, s) for v, s in zip(values, spreads, strict=True)),
                      delta_text, p_text, overlap_text])
    best = set()
    for column in range(len(subsets) + 2):
        column_values = [v[column] for v in numeric if v[column] is not None]
        if column_values:
            top = max(column_values)
            best |= {(i, column + 2) for i, v in enumerate(numeric) if v[column] == top}
    reference = []
    for ref in table.get("reference", []):
        values = ref.get("values", {})
        reference.append([f"{ref.get('label', '?')} ({say('reference', lang)})", "",
                          *(_number(values.get(s)) for s in subsets), _number(values.get("average")),
                          _number(values.get("mean")), "", "", ""])
    return {"headers": headers, "rows": cells, "best": best, "reference": reference}


def markdown(table: dict[str, Any], metric: str = "macro_f1", lang: str = "en") -> str:
    g = grid(table, metric, lang)
    title = f"**{table['benchmark']}** — {say(metric, lang)}"
    if not g["rows"]:
        return f"{title}\n\n{say('empty', lang)}\n"
    lines = [title, "", "| " + " | ".join(g["headers"]) + " |", "|" + "---|" * len(g["headers"])]
    for i, row in enumerate(g["rows"]):
        lines.append("| " + " | ".join(f"**{c}**" if (i, j) in g["best"] else c for j, c in enumerate(row))
                     + " |")
    for row in g["reference"]:
        lines.append("| " + " | ".join(f"*{c}*" if c and c != "—" else c for c in row) + " |")
    return "\n".join(lines + ["", say("note", lang)]) + "\n"


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


def figure(table: dict[str, Any], lang: str = "en") -> Any:
    """Grouped bars: one group per sub-category (and the average), one bar per row, 95% intervals."""
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
