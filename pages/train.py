"""Train tab: pick a model and datasets, see the estimate, start a LoRA run, and watch, abort, resume and
compare runs. The option widgets are generated from chemtune.train.config, the one declaration of every
training option; the page only reads run folders, so a refresh or an app restart reattaches."""

from __future__ import annotations

from typing import Any

import gradio as gr

from chemtune import jobs
from chemtune.errors import ChemtuneError
from chemtune.models import default_model
from chemtune.train import config as options
from chemtune.train import monitor
from pages.i18n import PageText, lookup

SPECIAL = ("model", "data")  # pickers with their own choices; every other option gets a generated widget
OPTIONS = [name for name in options.fields() if name not in SPECIAL]
FRONT = [name for name in OPTIONS if options.describe(name)["group"] == "data"]
GROUPS = [group for group in options.GROUPS if group != "data"]
RUN_HEADERS = ["run", "status", "model", "data", "steps", "final loss", "eval loss", "tokens/s", "created"]

STRINGS: dict[str, dict[str, str]] = {
    "tab": {"en": "Train", "ko": "학습"},
    "intro": {
        "en": "### LoRA tuning\nTune a base model on instruction datasets with a LoRA adapter. Runs keep "
              "going when the browser closes; this page reattaches. The same run from the command line: "
              "`python -m chemtune train --config RUN/config.yaml`.",
        "ko": "### LoRA 학습\n인스트럭션 데이터셋으로 기본 모델에 LoRA 어댑터를 "
              "학습합니다. 브라우저를 닫아도 학습은 계속되며 이 페이지가 "
              "다시 이어서 보여 줍니다. 명령줄에서 같은 학습: "
              "`python -m chemtune train --config RUN/config.yaml`.",
    },
    "group_schedule": {"en": "Schedule", "ko": "학습 일정"},
    "group_lora": {"en": "LoRA", "ko": "LoRA"},
    "group_hardware": {"en": "Hardware and precision", "ko": "하드웨어와 정밀도"},
    "group_logging": {"en": "Evaluation, saving and logging", "ko": "평가, 저장, 기록"},
    "refresh": {"en": "↻ Refresh lists", "ko": "↻ 목록 새로 고침"},
    "estimate": {"en": "Estimate", "ko": "예상치 계산"},
    "start": {"en": "Start training", "ko": "학습 시작"},
    "run": {"en": "Run", "ko": "실행"},
    "abort": {"en": "Abort", "ko": "중단"},
    "resume": {"en": "Resume from last checkpoint", "ko": "마지막 체크포인트부터 재개"},
    "overlay": {"en": "Overlay other runs", "ko": "다른 실행 겹쳐 보기"},
    "smoothing": {"en": "Smoothing", "ko": "스무딩"},
    "log": {"en": "Log (last lines)", "ko": "로그(마지막 줄)"},
    "past_runs": {"en": "Past runs", "ko": "지난 실행"},
    "estimate_text": {
        "en": "**Estimate:** {examples} training examples ({epoch_tokens} tokens per epoch, {val} held out "
              "for eval) → **{steps} steps**, about {tokens} tokens, **≈ {time}** at {rate} tokens/s "
              "({basis}). {note}",
        "ko": "**예상:** 학습 예제 {examples}개(에포크당 {epoch_tokens} 토큰, "
              "검증용 {val}개) → **{steps} 스텝**, 약 {tokens} 토큰, "
              "초당 {rate} 토큰으로 **≈ {time}** ({basis}). {note}",
    },
    "started": {"en": "✅ Started **{run}**. {estimate}",
                "ko": "✅ **{run}** 학습을 시작했습니다. {estimate}"},
    "resumed": {"en": "▶️ Resuming **{run}** from its last checkpoint.",
                "ko": "▶️ **{run}** 학습을 마지막 체크포인트부터 재개합니다."},
    "aborting": {"en": "⏹ Asked **{run}** to stop; it saves its adapter at the next step.",
                 "ko": "⏹ **{run}** 중단을 요청했습니다. "
                       "다음 스텝에서 어댑터를 저장하고 멈춥니다."},
    "no_run": {"en": "Choose a run first.", "ko": "먼저 실행을 고르세요."},
    "no_runs": {"en": "No training runs yet: choose a model and datasets, then **Start training**.",
                "ko": "아직 학습 실행이 없습니다. "
                      "모델과 데이터셋을 고른 뒤 **학습 시작**을 누르세요."},
    "status": {"en": "**{run}** · {status} · step {done}/{total} · ETA {eta}",
               "ko": "**{run}** · {status} · 스텝 {done}/{total} · 남은 시간 {eta}"},
    "figures": {"en": "loss {loss} · eval loss {eval} · {rate} tokens/s · epoch {epoch}",
                "ko": "손실 {loss} · 검증 손실 {eval} · 초당 {rate} 토큰 · 에포크 {epoch}"},
    "adapter": {"en": "Adapter: `{path}`", "ko": "어댑터: `{path}`"},
    "memory": {"en": "**Memory:** {text}", "ko": "**메모리:** {text}"},
    "trainer_gpu": {"en": "trainer peak {gb} GB GPU", "ko": "학습 프로세스 최대 GPU {gb} GB"},
    "trainer_ram": {"en": "trainer {gb} GB RAM (CPU training)",
                    "ko": "학습 프로세스 RAM {gb} GB (CPU 학습)"},
    "threads": {"en": "{n} CPU threads per process", "ko": "프로세스당 CPU 스레드 {n}개"},
    "fig_step": {"en": "step", "ko": "스텝"},
    "fig_loss": {"en": "loss", "ko": "손실"},
    "fig_lr": {"en": "learning rate", "ko": "학습률"},
    "fig_raw": {"en": "loss (raw)", "ko": "손실(원값)"},
    "fig_smoothed": {"en": "loss (smoothed)", "ko": "손실(평활)"},
    "fig_eval": {"en": "eval loss", "ko": "검증 손실"},
    "fig_empty": {"en": "No training steps yet.", "ko": "아직 학습 스텝이 없습니다."},
}
for _name in options.fields():
    _spec = options.describe(_name)
    STRINGS[f"opt_{_name}"] = {"en": _spec["label"], "ko": _spec["ko"]}
    STRINGS[f"opt_{_name}_help"] = {"en": _spec["help"], "ko": _spec["ko_help"]}


def _t(key: str, lang: str, **args: Any) -> str:
    return lookup(STRINGS, key, lang if lang in ("en", "ko") else "en", args or None)


def _num(value: Any, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}"


# ---- lists ------------------------------------------------------------------------------------------


def model_choices() -> list[str]:
    from chemtune.models import model_choices

    return model_choices()


def dataset_choices() -> list[str]:
    from chemtune import records

    return [row["name"] for row in records.list_datasets()]


def run_choices() -> list[str]:
    return [row["run_id"] for row in monitor.train_runs()]


def refresh_lists(current: str | None = None):
    """Fresh choices for the pickers; the run picker reattaches to the active (else newest) run."""
    runs = run_choices()
    chosen = current if current in runs else (jobs.active_run("train") or (runs[0] if runs else None))
    return (gr.update(choices=model_choices()), gr.update(choices=dataset_choices()),
            gr.update(choices=runs, value=chosen), gr.update(choices=runs))


# ---- actions ----------------------------------------------------------------------------------------


def _values(model: str, data: list[str] | str, option_values: tuple) -> dict[str, Any]:
    values = dict(zip(OPTIONS, option_values, strict=True))
    values.update(model=(model or "").strip(), data=data or [])
    return values


def _estimate_text(values: dict[str, Any], lang: str) -> str:
    from chemtune.train import estimate

    est = estimate.estimate(values)
    return _t("estimate_text", lang, examples=f"{est['train_examples']:,}",
              epoch_tokens=f"{est['epoch_tokens']:,}", val=f"{est['val_examples']:,}",
              steps=f"{est['steps']:,}", tokens=f"{est['run_tokens']:,}",
              time=estimate.format_seconds(est["seconds"]), rate=f"{est['tokens_per_second']:,.0f}",
              basis=est["basis"], note=est["length_note"])


def show_estimate(model, data, *rest):
    *option_values, lang = rest
    try:
        return _estimate_text(_values(model, data, tuple(option_values)), lang)
    except ChemtuneError as error:
        return f"⚠️ {error}"


def start_run(model, data, *rest):
    from chemtune.train import job

    *option_values, lang = rest
    values = _values(model, data, tuple(option_values))
    try:
        est = _estimate_text(values, lang)
        run = job.start(values)
    except ChemtuneError as error:
        return f"⚠️ {error}", gr.update()
    picked = gr.update(choices=run_choices(), value=run.run_id)
    return _t("started", lang, run=run.run_id, estimate=est), picked


def abort_run(run_id, lang):
    if not run_id:
        return _t("no_run", lang)
    try:
        jobs.abort(run_id)
    except ChemtuneError as error:
        return f"⚠️ {error}"
    return _t("aborting", lang, run=run_id)


def resume_run(run_id, lang):
    from chemtune.train import job

    if not run_id:
        return _t("no_run", lang)
    try:
        job.resume(run_id)
    except ChemtuneError as error:
        return f"⚠️ {error}"
    return _t("resumed", lang, run=run_id)


# ---- the live view ----------------------------------------------------------------------------------


def progress_html(done: int, total: int | None, state: str) -> str:
    share = min(1.0, done / total) if total else 0.0
    color = {"done": "#16a34a", "failed": "#dc2626", "aborted": "#ca8a04", "interrupted": "#ca8a04"}.get(
        state, "#2563eb")
    return (f"<div style='background:#e5e7eb;border-radius:6px;height:14px' title='{share:.0%}'>"
            f"<div id='train-progress-fill' style='width:{share * 100:.1f}%;background:{color};height:14px;"
            f"border-radius:6px'></div></div>"
            f"<div style='font-size:0.85em'>{done}/{total or '?'} ({share:.0%})</div>")


def _figure_text(lang: str) -> dict[str, str]:
    return {key: _t(f"fig_{key}", lang) for key in ("step", "loss", "lr", "raw", "smoothed", "eval", "empty")}


def poll(run_id, overlay, smoothing, view, lang):
    """Timer tick: read only the new events of the shown runs (offsets kept per browser session)."""
    from chemtune.hardware import gpu_memory_text

    view = view or {"curves": {}, "seen": None}
    skip = (gr.skip(),) * 6
    if not run_id:
        run_id = jobs.active_run("train")
        if not run_id:
            return (gr.skip(), _t("no_runs", lang), *skip[:5], view)
    try:
        run = jobs.run_folder(run_id)
    except ChemtuneError as error:
        return (gr.skip(), f"⚠️ {error}", *skip[:5], view)
    wanted = [run_id] + [r for r in (overlay or []) if r != run_id]
    curves, changed = {}, False
    for rid in wanted:
        try:
            curves[rid], added = monitor.update_curve(jobs.run_folder(rid), view["curves"].get(rid)
                                                      or monitor.new_curve())
        except ChemtuneError:
            continue
        changed |= added
    status = run.status()
    key = f"{run_id}|{status.get('status')}|{sorted(curves)}|{smoothing}|{lang}"
    if not changed and key == view.get("seen"):
        return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), run.log_tail(6000), gr.skip(),
                {"curves": curves, "seen": key})
    last = curves[run_id]["last"]
    progress = status.get("progress") or {}
    done = progress.get("done", last.get("step", 0))
    total = progress.get("total") or last.get("total_steps") or last.get("start_total_steps")
    state = status.get("status", "?")
    lines = [_t("status", lang, run=run_id, status=state, done=done, total=total or "?",
                eta=monitor.format_eta(last.get("eta_s") if state == "running" else 0))]
    if last.get("loss") is not None:
        lines.append(_t("figures", lang, loss=_num(last.get("loss")), eval=_num(last.get("eval_loss")),
                        rate=f"{last.get('tokens_per_second', 0):,.0f}", epoch=last.get("epoch")))
    if status.get("error"):
        lines.append(f"⚠️ {status['error']}")
    if (status.get("result") or {}).get("adapter_dir"):
        lines.append(_t("adapter", lang, path=status["result"]["adapter_dir"]))
    trainer = (_t("trainer_gpu", lang, gb=last["gpu_memory_gb"]) if "gpu_memory_gb" in last else
               _t("trainer_ram", lang, gb=last["ram_gb"]) if "ram_gb" in last else "")
    threads = last.get("cpu_threads") or last.get("start_cpu_threads")
    threads = _t("threads", lang, n=threads) if threads else ""
    memory = _t("memory", lang, text=" · ".join(part for part in (gpu_memory_text(), trainer, threads)
                                                if part))
    figure = monitor.loss_figure(curves, run_id, float(smoothing or 0), _figure_text(lang))
    past = monitor.train_runs()  # one scan of the run folders per tick
    rows = [[r["run_id"], r["status"], r["model"], r["data"], r["steps"], _num(r["final_loss"]),
             _num(r["eval_loss"]), _num(r["tokens_per_second"], 0), r["created"]] for r in past]
    return (gr.update(choices=[r["run_id"] for r in past], value=run_id), "  \n".join(lines),
            progress_html(done or 0, total, state), memory, figure, run.log_tail(6000), rows,
            {"curves": curves, "seen": key})


# ---- layout -----------------------------------------------------------------------------------------


def _option_widget(text: PageText, name: str) -> Any:
    """The widget for one option, built from its declaration (label, help, choices, limits, default)."""
    spec = options.describe(name)
    common = {"value": spec["default"], "elem_id": f"train-{name.replace('_', '-')}"}
    if spec["kind"] == "bool":
        cls = gr.Checkbox
    elif spec["kind"] == "choice":
        cls, common["choices"] = gr.Dropdown, spec["choices"]
    elif spec["kind"] in ("int", "float"):
        cls = gr.Number
        common["minimum"] = spec.get("ge", spec.get("gt"))
        common["maximum"] = spec.get("le", spec.get("lt"))
        common["precision"] = 0 if spec["kind"] == "int" else None
    else:
        cls = gr.Textbox
        common["max_lines"] = 1
    component = cls(label=text.text(f"opt_{name}"), info=text.text(f"opt_{name}_help"), **common)
    return text.register(component, label=f"opt_{name}", info=f"opt_{name}_help")


def build(text: PageText) -> None:
    text.markdown("intro")
    widgets: dict[str, Any] = {}
    view = gr.State({"curves": {}, "seen": None})
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row(equal_height=True):
                model = text.register(gr.Dropdown(
                    choices=model_choices(), value=default_model(), allow_custom_value=True,
                    elem_id="train-model",
                    label=text.text("opt_model"), info=text.text("opt_model_help"), scale=2),
                    label="opt_model", info="opt_model_help")
                data = text.register(gr.Dropdown(
                    choices=dataset_choices(), value=["sample"], multiselect=True, allow_custom_value=True,
                    elem_id="train-data", label=text.text("opt_data"), info=text.text("opt_data_help"),
                    scale=3),
                    label="opt_data", info="opt_data_help")
            with gr.Row():
                for name in FRONT:
                    widgets[name] = _option_widget(text, name)
            for group in GROUPS:
                with text.add(gr.Accordion, label=f"group_{group}", open=group == "schedule"):
                    names = [n for n in OPTIONS if options.describe(n)["group"] == group]
                    for start in range(0, len(names), 3):
                        with gr.Row():
                            for name in names[start:start + 3]:
                                widgets[name] = _option_widget(text, name)
            with gr.Row():
                refresh = text.add(gr.Button, value="refresh", size="sm", scale=1)
                estimate_button = text.add(gr.Button, value="estimate", elem_id="train-estimate", scale=1)
                start_button = text.add(gr.Button, value="start", variant="primary", elem_id="train-start",
                                        scale=2)
            message = gr.Markdown(elem_id="train-message")
        with gr.Column(scale=2):
            run_pick = text.register(gr.Dropdown(choices=run_choices(), value=None, label=text.text("run"),
                                                 elem_id="train-run"), label="run")
            status = gr.Markdown(elem_id="train-status")
            bar = gr.HTML(progress_html(0, None, "queued"), elem_id="train-progress")
            memory = gr.Markdown(elem_id="train-memory")
            with gr.Row():
                abort_button = text.add(gr.Button, value="abort", variant="stop", elem_id="train-abort")
                resume_button = text.add(gr.Button, value="resume", elem_id="train-resume")
            with gr.Row():
                overlay = text.register(gr.Dropdown(choices=run_choices(), multiselect=True,
                                                    label=text.text("overlay"), elem_id="train-overlay"),
                                        label="overlay")
                smoothing = text.add(gr.Slider, label="smoothing", minimum=0.0, maximum=0.99, step=0.01,
                                     value=0.8)
    plot = gr.Plot(elem_id="train-curve")
    log = text.register(gr.Textbox(label=text.text("log"), lines=10, max_lines=10, autoscroll=True,
                                   interactive=False, elem_id="train-log"), label="log")
    runs_table = text.register(gr.Dataframe(headers=RUN_HEADERS, interactive=False, wrap=True, max_height=300,
                                            label=text.text("past_runs"), elem_id="train-runs"),
                               label="past_runs")
    timer = gr.Timer(2.0)

    # ---- wiring ----
    lang = text.language
    inputs = [model, data, *[widgets[name] for name in OPTIONS], lang]
    estimate_button.click(show_estimate, inputs, message)
    start_button.click(start_run, inputs, [message, run_pick])
    abort_button.click(abort_run, [run_pick, lang], message)
    resume_button.click(resume_run, [run_pick, lang], message)
    refresh.click(refresh_lists, run_pick, [model, data, run_pick, overlay])
    timer.tick(poll, [run_pick, overlay, smoothing, view, lang],
               [run_pick, status, bar, memory, plot, log, runs_table, view], show_progress="hidden")
    # A fresh page (a refresh, or after an app restart) reattaches to the active or newest run.
    root = gr.context.Context.root_block
    if root is not None:
        root.load(refresh_lists, None, [model, data, run_pick, overlay])
