"""Train tab: pick a model and datasets, see the estimate, start a LoRA run, and watch, abort, resume and
compare runs. The option widgets are generated from chemtune.train.config, the one declaration of every
training option; the page only reads run folders, so a refresh or an app restart reattaches."""

from __future__ import annotations

from typing import Any

import gradio as gr

from chemtune import jobs
from chemtune.errors import ChemtuneError
from chemtune.models import default_model
from chemtune.train import config as train_config
from chemtune.train import monitor
from chemtune.train.config import TrainConfig
from pages import train_publish
from pages.i18n import PageText, lookup
from pages.widgets import by_name, option_strings, option_widget

PREFIX = "train"  # string ids train_<option>…, elem_ids train-<option>
SPECIAL = ("model", "data")  # pickers with their own choices; every other option gets a generated widget
OPTIONS = [name for name in train_config.fields() if name not in SPECIAL]
FRONT = [name for name in OPTIONS if train_config.describe(name)["group"] == "data"]
GROUPS = [group for group in train_config.GROUPS if group != "data"]
RUN_COLUMNS = ("run", "status", "model", "data", "steps", "final_loss", "eval_loss", "rate", "created")

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
    "col_run": {"en": "run", "ko": "실행"},
    "col_status": {"en": "status", "ko": "상태"},
    "col_model": {"en": "model", "ko": "모델"},
    "col_data": {"en": "data", "ko": "데이터"},
    "col_steps": {"en": "steps", "ko": "스텝"},
    "col_final_loss": {"en": "final loss", "ko": "최종 손실"},
    "col_eval_loss": {"en": "eval loss", "ko": "검증 손실"},
    "col_rate": {"en": "tokens/s", "ko": "초당 토큰"},
    "col_created": {"en": "created", "ko": "생성 시각"},
    "state_queued": {"en": "queued", "ko": "대기 중"},
    "state_running": {"en": "running", "ko": "학습 중"},
    "state_done": {"en": "done", "ko": "완료"},
    "state_failed": {"en": "failed", "ko": "실패"},
    "state_aborted": {"en": "aborted", "ko": "중단됨"},
    "state_interrupted": {"en": "interrupted", "ko": "끊김"},
    "basis_measured": {"en": "measured in run {run}", "ko": "{run} 실행에서 잰 속도"},
    "basis_gpu": {"en": "rough guess from the model size and the speed of the {device}",
                  "ko": "모델 크기와 {device}의 속도로 어림한 값"},
    "basis_cpu": {"en": "rough guess from the model size and the speed of the CPU with {threads} threads "
                        "per process",
                  "ko": "모델 크기와 CPU(프로세스당 스레드 {threads}개)의 속도로 어림한 값"},
    "note_truncated": {"en": "{n} examples longer than {max} tokens were truncated",
                       "ko": "{max} 토큰보다 긴 예제 {n}개를 잘랐습니다"},
    "note_dropped": {"en": "{n} examples longer than {max} tokens were dropped",
                     "ko": "{max} 토큰보다 긴 예제 {n}개를 버렸습니다"},
    "note_no_response": {"en": "{n} examples were skipped because their prompt alone fills {max} tokens",
                         "ko": "프롬프트만으로 {max} 토큰이 차는 예제 {n}개를 건너뛰었습니다"},
    "seconds": {"en": "{s} s", "ko": "{s}초"},
    "minutes": {"en": "{m} min {s:02d} s", "ko": "{m}분 {s:02d}초"},
    "hours": {"en": "{h} h {m:02d} min", "ko": "{h}시간 {m:02d}분"},
    "error": {"en": "⚠️ {error}", "ko": "⚠️ {error}"},
    "run_error": {"en": "⚠️ The run stopped with an error: {error}",
                  "ko": "⚠️ 학습이 오류로 멈췄습니다: {error}"},
}
STRINGS.update(option_strings(TrainConfig, PREFIX))
STRINGS.update(train_publish.STRINGS)  # the Publish and export section's own text


def _t(key: str, lang: str, **args: Any) -> str:
    return lookup(STRINGS, key, lang if lang in ("en", "ko") else "en", args or None)


def _num(value: Any, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _state(state: str | None, lang: str) -> str:
    return _t(f"state_{state}", lang) if f"state_{state}" in STRINGS else str(state or "?")


def _error(error: ChemtuneError, lang: str) -> str:
    return _t("error", lang, error=error.text(lang))


def headers(lang: str) -> list[str]:
    return [_t(f"col_{column}", lang) for column in RUN_COLUMNS]


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


# ---- actions: each handler takes its inputs by name (pages.widgets.by_name) ----------------------------


def _options(form: dict[str, Any]) -> dict[str, Any]:
    """The training options on the form (everything but the page's own inputs)."""
    values = {name: form[name] for name in OPTIONS}
    values.update(model=(form["model"] or "").strip(), data=form["data"] or [])
    return values


def _duration(seconds: float | None, lang: str) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    if seconds < 90:
        return _t("seconds", lang, s=seconds)
    minutes = seconds // 60
    if minutes < 90:
        return _t("minutes", lang, m=minutes, s=seconds % 60)
    return _t("hours", lang, h=minutes // 60, m=minutes % 60)


def _basis(est: dict[str, Any], lang: str) -> str:
    if est.get("basis_run"):
        return _t("basis_measured", lang, run=est["basis_run"])
    if est.get("basis_threads"):
        return _t("basis_cpu", lang, threads=est["basis_threads"])
    return _t("basis_gpu", lang, device=est.get("basis_device") or "GPU")


def _length_note(est: dict[str, Any], lang: str) -> str:
    parts = [_t(f"note_{kind}", lang, n=est[kind], max=est["max_length"])
             for kind in ("truncated", "dropped", "no_response") if est.get(kind)]
    return "; ".join(parts) + "." if parts else ""


def _estimate_text(values: dict[str, Any], lang: str) -> str:
    from chemtune.train import estimate

    est = estimate.estimate(values)
    return _t("estimate_text", lang, examples=f"{est['train_examples']:,}",
              epoch_tokens=f"{est['epoch_tokens']:,}", val=f"{est['val_examples']:,}",
              steps=f"{est['steps']:,}", tokens=f"{est['run_tokens']:,}",
              time=_duration(est["seconds"], lang), rate=f"{est['tokens_per_second']:,.0f}",
              basis=_basis(est, lang), note=_length_note(est, lang)) \
        + "".join(f"  \n⚠️ {warning[lang]}" for warning in est.get("warnings") or [])


def show_estimate(form: dict[str, Any]) -> str:
    try:
        return _estimate_text(_options(form), form["lang"])
    except ChemtuneError as error:
        return _error(error, form["lang"])


def start_run(form: dict[str, Any]) -> tuple[str, Any]:
    from chemtune.train import job

    lang, values = form["lang"], _options(form)
    try:
        est = _estimate_text(values, lang)
        run = job.start(values)
    except ChemtuneError as error:
        return _error(error, lang), gr.update()
    picked = gr.update(choices=run_choices(), value=run.run_id)
    return _t("started", lang, run=run.run_id, estimate=est), picked


def abort_run(form: dict[str, Any]) -> str:
    run_id, lang = form["run"], form["lang"]
    if not run_id:
        return _t("no_run", lang)
    try:
        jobs.abort(run_id)
    except ChemtuneError as error:
        return _error(error, lang)
    return _t("aborting", lang, run=run_id)


def resume_run(form: dict[str, Any]) -> str:
    from chemtune.train import job

    run_id, lang = form["run"], form["lang"]
    if not run_id:
        return _t("no_run", lang)
    try:
        job.resume(run_id)
    except ChemtuneError as error:
        return _error(error, lang)
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


def runs_table(past: list[dict], lang: str) -> Any:
    """The past runs as the table shows them, headers and states in `lang` (a frame, so an empty table
    still shows its headers in the language)."""
    import pandas as pd

    rows = [[r["run_id"], _state(r["status"], lang), r["model"], r["data"], r["steps"], _num(r["final_loss"]),
             _num(r["eval_loss"]), _num(r["tokens_per_second"], 0), r["created"]] for r in past]
    return pd.DataFrame(rows, columns=headers(lang))


def _status_lines(run_id: str, run: Any, status: dict, last: dict, lang: str) -> tuple[str, int, Any, str]:
    progress = status.get("progress") or {}
    done = progress.get("done", last.get("step", 0))
    total = progress.get("total") or last.get("total_steps") or last.get("start_total_steps")
    state = status.get("status", "?")
    lines = [_t("status", lang, run=run_id, status=_state(state, lang), done=done, total=total or "?",
                eta=monitor.format_eta(last.get("eta_s") if state == "running" else 0))]
    if last.get("loss") is not None:
        lines.append(_t("figures", lang, loss=_num(last.get("loss")), eval=_num(last.get("eval_loss")),
                        rate=f"{last.get('tokens_per_second', 0):,.0f}", epoch=last.get("epoch")))
    if status.get("error"):
        lines.append(_t("run_error", lang, error=status["error"]))
    if (status.get("result") or {}).get("adapter_dir"):
        lines.append(_t("adapter", lang, path=status["result"]["adapter_dir"]))
    return "  \n".join(lines), done, total, state


def _memory_line(last: dict, lang: str) -> str:
    from chemtune.hardware import gpu_memory_text

    trainer = (_t("trainer_gpu", lang, gb=last["gpu_memory_gb"]) if "gpu_memory_gb" in last else
               _t("trainer_ram", lang, gb=last["ram_gb"]) if "ram_gb" in last else "")
    threads = last.get("cpu_threads") or last.get("start_cpu_threads")
    threads = _t("threads", lang, n=threads) if threads else ""
    parts = (gpu_memory_text(lang), trainer, threads)
    return _t("memory", lang, text=" · ".join(part for part in parts if part))


def poll(form: dict[str, Any]) -> tuple:
    """Timer tick: read only the new events of the shown runs (offsets kept per browser session).
    Returns (run picker, status, bar, memory, plot, log, runs table, view)."""
    run_id, lang = form["run"], form["lang"]
    view = form["view"] or {"curves": {}, "seen": None}
    skip = (gr.skip(),) * 4  # bar, memory, plot, log
    if not run_id:
        run_id = jobs.active_run("train")
        if not run_id:  # the empty table too, so its headers follow a language switch
            return (gr.skip(), _t("no_runs", lang), *skip, runs_table([], lang), view)
    try:
        run = jobs.run_folder(run_id)
    except ChemtuneError as error:
        return (gr.skip(), _error(error, lang), *skip, gr.skip(), view)
    wanted = [run_id] + [r for r in (form["overlay"] or []) if r != run_id]
    curves, changed = {}, False
    for rid in wanted:
        try:
            curves[rid], added = monitor.update_curve(jobs.run_folder(rid), view["curves"].get(rid)
                                                      or monitor.new_curve())
        except ChemtuneError:
            continue
        changed |= added
    status = run.status()
    key = f"{run_id}|{status.get('status')}|{sorted(curves)}|{form['smoothing']}|{lang}"
    if not changed and key == view.get("seen"):
        return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), run.log_tail(6000), gr.skip(),
                {"curves": curves, "seen": key})
    text, done, total, state = _status_lines(run_id, run, status, curves[run_id]["last"], lang)
    figure = monitor.loss_figure(curves, run_id, float(form["smoothing"] or 0), _figure_text(lang))
    past = monitor.train_runs()  # one scan of the run folders per tick
    return (gr.update(choices=[r["run_id"] for r in past], value=run_id), text,
            progress_html(done or 0, total, state), _memory_line(curves[run_id]["last"], lang), figure,
            run.log_tail(6000), runs_table(past, lang), {"curves": curves, "seen": key})


# ---- layout -----------------------------------------------------------------------------------------


def build(text: PageText) -> None:
    text.markdown("intro")
    w: dict[str, Any] = {"view": gr.State({"curves": {}, "seen": None}), "lang": text.language}
    with gr.Row():
        with gr.Column(scale=3):
            _options_form(text, w)
            with gr.Row():
                w["refresh"] = text.add(gr.Button, value="refresh", size="sm", scale=1)
                w["estimate"] = text.add(gr.Button, value="estimate", elem_id="train-estimate", scale=1)
                w["start"] = text.add(gr.Button, value="start", variant="primary", elem_id="train-start",
                                      scale=2)
            w["message"] = gr.Markdown(elem_id="train-message")
        with gr.Column(scale=2):
            _run_view(text, w)
    w["plot"] = gr.Plot(elem_id="train-curve", show_label=False)
    w["log"] = text.register(gr.Textbox(label=text.text("log"), lines=10, max_lines=10, autoscroll=True,
                                        interactive=False, elem_id="train-log"), label="log")
    w["runs"] = text.register(gr.Dataframe(headers=headers(text.lang), interactive=False, wrap=True,
                                           max_height=300, label=text.text("past_runs"),
                                           elem_id="train-runs"), label="past_runs")
    w["timer"] = gr.Timer(2.0)
    _wire(w, text)
    train_publish.build(text, w["run"])


def _options_form(text: PageText, w: dict[str, Any]) -> None:
    """The model and dataset pickers, then one widget per declared option, grouped as declared."""
    with gr.Row(equal_height=True):
        w["model"] = text.register(gr.Dropdown(
            choices=model_choices(), value=default_model(), allow_custom_value=True, elem_id="train-model",
            label=text.text("train_model"), info=text.text("train_model_help"), scale=2),
            label="train_model", info="train_model_help")
        w["data"] = text.register(gr.Dropdown(
            choices=dataset_choices(), value=["sample"], multiselect=True, allow_custom_value=True,
            elem_id="train-data", label=text.text("train_data"), info=text.text("train_data_help"), scale=3),
            label="train_data", info="train_data_help")
    with gr.Row():
        for name in FRONT:
            w[name] = option_widget(text, TrainConfig, name, PREFIX)
    for group in GROUPS:
        with text.add(gr.Accordion, label=f"group_{group}", open=group == "schedule"):
            names = [n for n in OPTIONS if train_config.describe(n)["group"] == group]
            for start in range(0, len(names), 3):
                with gr.Row():
                    for name in names[start:start + 3]:
                        w[name] = option_widget(text, TrainConfig, name, PREFIX)


def _run_view(text: PageText, w: dict[str, Any]) -> None:
    """The chosen run: status, progress, memory, abort and resume, other runs to overlay."""
    w["run"] = text.register(gr.Dropdown(choices=run_choices(), value=None, label=text.text("run"),
                                         elem_id="train-run"), label="run")
    w["status"] = gr.Markdown(elem_id="train-status")
    w["bar"] = gr.HTML(progress_html(0, None, "queued"), elem_id="train-progress")
    w["memory"] = gr.Markdown(elem_id="train-memory")
    with gr.Row():
        w["abort"] = text.add(gr.Button, value="abort", variant="stop", elem_id="train-abort")
        w["resume"] = text.add(gr.Button, value="resume", elem_id="train-resume")
    with gr.Row():
        w["overlay"] = text.register(gr.Dropdown(choices=run_choices(), multiselect=True,
                                                 label=text.text("overlay"), elem_id="train-overlay"),
                                     label="overlay")
        w["smoothing"] = text.add(gr.Slider, label="smoothing", minimum=0.0, maximum=0.99, step=0.01,
                                  value=0.8)


def _wire(w: dict[str, Any], text: PageText) -> None:
    def inputs(*names: str) -> dict[str, Any]:
        return {name: w[name] for name in names}

    form = inputs("model", "data", *OPTIONS, "lang")
    w["estimate"].click(*by_name(show_estimate, form), outputs=w["message"])
    w["start"].click(*by_name(start_run, form), outputs=[w["message"], w["run"]])
    w["abort"].click(*by_name(abort_run, inputs("run", "lang")), outputs=w["message"])
    w["resume"].click(*by_name(resume_run, inputs("run", "lang")), outputs=w["message"])
    pickers = [w["model"], w["data"], w["run"], w["overlay"]]
    w["refresh"].click(refresh_lists, w["run"], pickers)
    shown = [w[name] for name in ("run", "status", "bar", "memory", "plot", "log", "runs", "view")]
    w["timer"].tick(*by_name(poll, inputs("run", "overlay", "smoothing", "view", "lang")), outputs=shown,
                    show_progress="hidden")
    if w["lang"] is not None:  # the past runs' headers and states at once, not at the next tick
        text.on_language(lambda lang: runs_table(monitor.train_runs(), lang), w["lang"], w["runs"])
    # A fresh page (a refresh, or after an app restart) reattaches to the active or newest run.
    root = gr.context.Context.root_block
    if root is not None:
        root.load(refresh_lists, None, pickers)
