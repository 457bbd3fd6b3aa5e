"""The Train tab's Publish and export section: publish the chosen finished run to the Hugging Face Hub
(adapter or merged model, with its model card), or export its merged model as safetensors or GGUF with an
Ollama Modelfile. Layout and wiring; the work is chemtune.share's, which the CLI calls too.

The token box is a password field that starts empty: a token typed there is passed to the upload and
forgotten; with the box empty $HF_TOKEN (a Space secret) is used, and neither is ever shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from chemtune.errors import ChemtuneError
from chemtune.share.config import ExportConfig, PublishConfig
from pages.i18n import PageText, lookup
from pages.widgets import by_name, option_strings, option_widget

STRINGS: dict[str, dict[str, str]] = {
    "pub_section": {"en": "Publish and export", "ko": "게시와 내보내기"},
    "pub_intro": {
        "en": "Share the run chosen above once it has finished: publish it to the Hugging Face Hub with a "
              "model card (datasets, options, loss curve, every finished evaluation of its adapter), or "
              "export the merged model for Ollama or LM Studio. The same from the command line: "
              "`python -m chemtune publish RUN --repo ORG/NAME`, `python -m chemtune export-model RUN "
              "--format gguf-q8_0`.",
        "ko": "위에서 고른 실행이 끝나면 공유합니다. 모델 카드(데이터셋, 옵션, 손실 곡선, 이 어댑터의 "
              "끝난 평가 전부)와 함께 Hugging Face 허브에 게시하거나, 병합 모델을 Ollama 등에서 쓰도록 "
              "내보냅니다. 명령줄에서 같은 작업: `python -m chemtune publish RUN --repo ORG/NAME`, "
              "`python -m chemtune export-model RUN --format gguf-q8_0`.",
    },
    "pub_token": {"en": "Hub token (blank: $HF_TOKEN; never saved or shown)",
                  "ko": "허브 토큰 (비우면 $HF_TOKEN, 저장·표시 안 됨)"},
    "pub_token_set": {"en": "HF_TOKEN is set on this server; leave the box empty to use it.",
                      "ko": "이 서버에 HF_TOKEN이 설정되어 있습니다. 칸을 비워 두면 그것을 씁니다."},
    "pub_token_unset": {"en": "HF_TOKEN is not set here: paste a token with write access.",
                        "ko": "여기에는 HF_TOKEN이 없습니다. 쓰기 권한이 있는 토큰을 붙여 넣으세요."},
    "pub_go": {"en": "Publish to the Hub", "ko": "허브에 게시"},
    "pub_export_go": {"en": "Export", "ko": "내보내기"},
    "pub_files": {"en": "Exported files", "ko": "내보낸 파일"},
    "pub_no_run": {"en": "Choose a finished run first.", "ko": "먼저 끝난 실행을 고르세요."},
    "pub_working": {"en": "⏳ {step}", "ko": "⏳ {step}"},
    "pub_starting": {"en": "starting …", "ko": "시작하는 중 …"},
    "pub_done": {"en": "✅ Published **{run}** to [{repo}]({url}) ({n} files: {files}).",
                 "ko": "✅ **{run}**을(를) [{repo}]({url})에 게시했습니다(파일 {n}개: {files})."},
    "pub_exported": {"en": "✅ Exported **{run}** as {format}: {files}",
                     "ko": "✅ **{run}**을(를) {format}(으)로 내보냈습니다: {files}"},
    "pub_ollama": {"en": "For Ollama: `{command}`", "ko": "Ollama에서: `{command}`"},
    "pub_failed": {"en": "⚠️ Job {run} did not finish: {error}",
                   "ko": "⚠️ 작업 {run}이(가) 끝나지 못했습니다: {error}"},
}
STRINGS.update(option_strings(PublishConfig, "pub"))
STRINGS.update(option_strings(ExportConfig, "exp"))


def _t(key: str, lang: str, **args: Any) -> str:
    return lookup(STRINGS, key, lang if lang in ("en", "ko") else "en", args or None)


def _error(error: ChemtuneError, lang: str) -> str:
    return f"⚠️ {error.text(lang) if hasattr(error, 'text') else error}"


POLL_S = 0.5


def _follow(run: Any, lang: str) -> Iterator[str]:
    """A progress line per poll while the job runs (the caller reads its final status after)."""
    import time

    from chemtune import jobs
    from chemtune.share.job import last_step

    while run.status().get("status") not in jobs.FINISHED:
        yield _t("pub_working", lang, step=last_step(run, lang) or _t("pub_starting", lang))
        time.sleep(POLL_S)


def publish_run(form: dict[str, Any]) -> Iterator[str]:
    """Publish the chosen run as a job; yields its progress, then the result (or error) in the page's
    language. The job keeps going if the page is closed; its folder holds the result."""
    from chemtune.share.job import start_publish

    lang = form.get("lang") or "en"
    if not form.get("run"):
        yield _t("pub_no_run", lang)
        return
    try:
        job = start_publish(form["run"], {"repo": form.get("repo") or "", "merged": bool(form.get("merged")),
                                          "private": bool(form.get("private"))}, token=form.get("token"))
    except ChemtuneError as error:
        yield _error(error, lang)
        return
    yield from _published(job, lang)


def _published(job: Any, lang: str) -> Iterator[str]:
    """A publish job's progress while it runs, then its result or error."""
    yield from _follow(job, lang)
    status = job.status()
    result = status.get("result") or {}
    if status.get("status") != "done":
        yield _t("pub_failed", lang, run=job.run_id, error=status.get("error") or status.get("status"))
        return
    yield _t("pub_done", lang, run=result["run_id"], repo=result["repo"], url=result["url"],
             n=len(result["files"]), files=", ".join(result["files"]))


def export_run(form: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Export the chosen run into its export/ folder as a job; the files are then offered for download."""
    from chemtune.share.job import start_export

    lang = form.get("lang") or "en"
    if not form.get("run"):
        yield _t("pub_no_run", lang), gr.update()
        return
    try:
        job = start_export(form["run"], {"format": form.get("format")})
    except ChemtuneError as error:
        yield _error(error, lang), gr.update()
        return
    yield from _exported(job, lang)


def _exported(job: Any, lang: str) -> Iterator[tuple[str, Any]]:
    """An export job's progress while it runs, then its files (offered for download) or error."""
    for line in _follow(job, lang):
        yield line, gr.update()
    status = job.status()
    result = status.get("result") or {}
    if status.get("status") != "done":
        yield _t("pub_failed", lang, run=job.run_id, error=status.get("error") or status.get("status")), \
            gr.update()
        return
    names = ", ".join(f"`{path.rsplit('/', 1)[-1]}`" for path in result["files"])
    message = _t("pub_exported", lang, run=result["run_id"], format=result["format"], files=names)
    if result.get("ollama"):
        message += "  \n" + _t("pub_ollama", lang, command=result["ollama"])
    yield message, gr.update(value=result["files"])


def reattach(form: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """The chosen run's newest publish and export jobs, as the page showed them: followed while they run
    (after a refresh or an app restart too), else their outcome; nothing for a run never shared."""
    from chemtune import jobs

    lang, run_id = form.get("lang") or "en", form.get("run")
    latest = {}
    if run_id:
        for kind in ("publish", "export-model"):
            for row in jobs.list_runs(kind=kind):
                if jobs.run_folder(row["run_id"]).config().get("run_id") == run_id:
                    latest[kind] = jobs.run_folder(row["run_id"])
                    break
    published, exported, files = "", "", gr.update(value=None)
    if "publish" in latest:
        for published in _published(latest["publish"], lang):
            yield published, exported, files
    if "export-model" in latest:
        for exported, files in _exported(latest["export-model"], lang):
            yield published, exported, files
    if not latest:
        yield published, exported, files


def finished(run_id: str | None) -> bool:
    """Whether `run_id` is a train run that finished (the section is shown for it)."""
    from chemtune import jobs

    if not run_id:
        return False
    try:
        status = jobs.run_folder(run_id).status()
    except ChemtuneError:
        return False
    return status.get("kind") == "train" and status.get("status") == "done"


def token_note(lang: str) -> str:
    import os

    return _t("pub_token_set" if os.environ.get("HF_TOKEN") else "pub_token_unset", lang)


def build(text: PageText, run: Any) -> None:
    """The section, under the Train tab's run view; `run` is the tab's run picker."""
    w: dict[str, Any] = {"run": run, "lang": text.language}
    # Shown once the chosen run has finished: there is nothing to share before.
    with text.add(gr.Accordion, label="pub_section", open=False, visible=finished(run.value),
                  elem_id="train-publish") as section:
        text.markdown("pub_intro")
        with gr.Row():
            w["repo"] = option_widget(text, PublishConfig, "repo", "pub", scale=3)
            w["merged"] = option_widget(text, PublishConfig, "merged", "pub", scale=1)
            w["private"] = option_widget(text, PublishConfig, "private", "pub", scale=1)
        w["token"] = text.register(gr.Textbox(label=text.text("pub_token"), type="password", max_lines=1,
                                              elem_id="pub-token"), label="pub_token")
        w["token_note"] = gr.Markdown(token_note(text.lang), elem_id="pub-token-note")
        w["publish"] = text.add(gr.Button, value="pub_go", variant="primary", elem_id="pub-go")
        w["publish_status"] = gr.Markdown(elem_id="pub-status")
        with gr.Row():
            w["format"] = option_widget(text, ExportConfig, "format", "exp", scale=2)
            w["export"] = text.add(gr.Button, value="pub_export_go", elem_id="exp-go", scale=1)
        w["export_status"] = gr.Markdown(elem_id="exp-status")
        w["files"] = text.add(gr.File, label="pub_files", file_count="multiple", interactive=False,
                              elem_id="exp-files")
    run.change(lambda run_id: gr.update(visible=finished(run_id)), run, section, show_progress="hidden")
    run.change(*by_name(reattach, {"run": run, "lang": text.language}),
               outputs=[w["publish_status"], w["export_status"], w["files"]], show_progress="hidden")
    form = {name: w[name] for name in ("run", "repo", "merged", "private", "token", "lang")}
    w["publish"].click(*by_name(publish_run, form), outputs=w["publish_status"])
    w["export"].click(*by_name(export_run, {name: w[name] for name in ("run", "format", "lang")}),
                      outputs=[w["export_status"], w["files"]])
    if text.language is not None:
        text.on_language(token_note, text.language, w["token_note"])
