"""Reading training runs for display: curve points from events.jsonl (by offset), the loss figure,
the table of past runs. Only run folders are read, so any page or process can follow any run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chemtune import jobs
from chemtune.errors import ChemtuneError

COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
FIGURE_TEXT = {"step": "step", "loss": "loss", "lr": "learning rate", "raw": "loss (raw)",
               "smoothed": "loss (smoothed)", "eval": "eval loss", "empty": "No training steps yet."}


def new_curve() -> dict:
    """An empty curve: points read so far and the byte offset to read events from next time."""
    return {"offset": 0, "steps": [], "loss": [], "lr": [], "eval_steps": [], "eval_loss": [], "last": {}}


def update_curve(run: jobs.RunFolder, curve: dict) -> tuple[dict, bool]:
    """Add the events written since the curve's offset; returns (curve, whether anything was added)."""
    events, offset = run.read_events(curve.get("offset", 0))
    # One copy up front (the caller's curve stays as it was), then appends: linear in the events read.
    curve = {**curve, "offset": offset,
             **{key: list(curve.get(key, [])) for key in ("steps", "loss", "lr", "eval_steps", "eval_loss")}}
    changed = False
    for event in events:
        kind = event.get("type")
        if kind == "resume":
            # Steps after the checkpoint were done again after the resume: keep the replayed ones only.
            step = event.get("step", 0)
            keep = [i for i, s in enumerate(curve["steps"]) if s <= step]
            for key in ("steps", "loss", "lr"):
                curve[key] = [curve[key][i] for i in keep]
            keep = [i for i, s in enumerate(curve["eval_steps"]) if s <= step]
            for key in ("eval_steps", "eval_loss"):
                curve[key] = [curve[key][i] for i in keep]
            changed = True
        elif kind == "train":
            curve["steps"].append(event["step"])
            curve["loss"].append(event["loss"])
            curve["lr"].append(event.get("learning_rate"))
            if event.get("eval_loss") is not None:
                curve["eval_steps"].append(event["step"])
                curve["eval_loss"].append(event["eval_loss"])
            curve["last"] = event
            changed = True
        elif kind in ("start", "end"):
            curve["last"] = {**curve["last"], **{f"{kind}_{k}": v for k, v in event.items()}}
            changed = True
    return curve, changed


def smooth(values: list[float], weight: float) -> list[float]:
    """TensorBoard-style exponential moving average, debiased so the start is not pulled to zero."""
    out, average = [], 0.0
    for i, value in enumerate(values, start=1):
        average = weight * average + (1 - weight) * value
        out.append(average / (1 - weight**i) if weight < 1 else value)
    return out


def loss_figure(curves: dict[str, dict], main: str | None, smoothing: float = 0.8,
                text: dict[str, str] | None = None) -> Any:
    """Loss curves: the main run raw + smoothed + eval loss with its learning rate on a second axis,
    other runs overlaid as smoothed loss and eval points."""
    import plotly.graph_objects as go

    text = {**FIGURE_TEXT, **(text or {})}
    fig = go.Figure()
    order = ([main] if main in curves else []) + [run_id for run_id in curves if run_id != main]
    for index, run_id in enumerate(order):
        curve = curves[run_id]
        color = COLORS[index % len(COLORS)]
        name = run_id if run_id != main else f"{run_id}"
        if run_id == main:
            fig.add_trace(go.Scatter(x=curve["steps"], y=curve["loss"], mode="lines", name=text["raw"],
                                     line={"color": color, "width": 1}, opacity=0.3))
            fig.add_trace(go.Scatter(x=curve["steps"], y=curve["lr"], mode="lines", name=text["lr"],
                                     yaxis="y2", line={"color": "#6b7280", "width": 1, "dash": "dot"}))
        fig.add_trace(go.Scatter(x=curve["steps"], y=smooth(curve["loss"], smoothing), mode="lines",
                                 name=f"{text['smoothed']} · {name}", line={"color": color, "width": 2.5}))
        if curve["eval_steps"]:
            fig.add_trace(go.Scatter(x=curve["eval_steps"], y=curve["eval_loss"], mode="lines+markers",
                                     name=f"{text['eval']} · {name}",
                                     line={"color": color, "width": 1.5, "dash": "dash"},
                                     marker={"size": 8, "symbol": "diamond"}))
    fig.update_layout(
        height=420, margin={"l": 60, "r": 60, "t": 30, "b": 50}, template="plotly_white",
        xaxis={"title": text["step"]}, yaxis={"title": text["loss"]},
        yaxis2={"title": text["lr"], "overlaying": "y", "side": "right", "showgrid": False,
                "tickformat": ".1e"},
        legend={"orientation": "h", "y": -0.2}, hovermode="x unified")
    if not any(curves[r]["steps"] for r in order):
        fig.add_annotation(text=text["empty"], showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def train_runs() -> list[dict]:
    """Every training run (newest first) with the figures a table of past runs shows."""
    rows = []
    for row in jobs.list_runs(kind="train"):
        result = row.get("result") or {}
        try:
            config = jobs.RunFolder(Path(row["run_dir"])).config()
        except ChemtuneError:
            config = {}
        progress = row.get("progress") or {}
        rows.append({
            "run_id": row["run_id"], "status": row.get("status"), "model": config.get("model"),
            "data": ",".join(config.get("data") or []),
            "steps": result.get("steps", progress.get("done")), "total_steps": progress.get("total"),
            "final_loss": result.get("final_loss"), "eval_loss": result.get("eval_loss"),
            "tokens_per_second": result.get("tokens_per_second"), "created": row.get("created"),
            "adapter_dir": result.get("adapter_dir"), "error": row.get("error"),
        })
    return rows




def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
