"""Chat tab: talk to a base model plus a tuned LoRA adapter (or a remote endpoint), compare base and tuned
answers side by side; and, when asked, the OpenAI-compatible API mounted under /v1 of the app."""

from __future__ import annotations

import os
from typing import Any

import gradio as gr

from chemtune.chat import presets
from chemtune.errors import ChemtuneError
from pages.i18n import PageText, lookup
from pages.widgets import by_name

STRINGS = {
    "tab": {"en": "Chat", "ko": "채팅"},
    "intro": {
        "en": "### Chat\n**Streaming chat** with a base model and a tuned LoRA adapter, prompted exactly the "
              "way it was trained. Tick *compare* to see the base and the tuned answer side by side. The "
              "same model can be served to other tools: `python -m chemtune serve`.",
        "ko": "### 채팅\n기본 모델과 학습한 LoRA 어댑터로 **스트리밍 채팅**을 합니다. 프롬프트는 학습할 때와 "
              "똑같은 형식입니다. *비교*를 켜면 기본 모델과 튜닝 모델의 답을 나란히 봅니다. 같은 모델을 "
              "`python -m chemtune serve`로 다른 도구에 제공할 수 있습니다.",
    },
    "model": {"en": "Base model", "ko": "기본 모델"},
    "model_info": {"en": "A preset, a hub id, a local folder or a .gguf file.",
                   "ko": "프리셋, 허브 ID, 로컬 폴더 또는 .gguf 파일."},
    "adapter": {"en": "Adapter", "ko": "어댑터"},
    "adapter_info": {"en": "A finished train run, or an adapter folder path; empty = base model only.",
                     "ko": "완료된 학습 실행 또는 어댑터 폴더 경로. 비워 두면 기본 모델만 씁니다."},
    "trust": {"en": "Trust remote code (EXAONE needs it)", "ko": "원격 코드 신뢰 (EXAONE에 필요)"},
    "trust_info": {"en": "Runs the Python code the model's repository ships; only for models you trust.",
                   "ko": "모델 저장소가 제공하는 Python 코드를 실행합니다. 신뢰하는 모델에만 켜세요."},
    "refresh": {"en": "Refresh", "ko": "새로 고침"},
    "load": {"en": "Load", "ko": "불러오기"},
    "unload": {"en": "Unload", "ko": "내리기"},
    "no_model": {"en": "No model loaded.", "ko": "불러온 모델이 없습니다."},
    "use_remote": {"en": "Use a remote OpenAI-compatible endpoint", "ko": "원격 OpenAI 호환 엔드포인트 사용"},
    "remote_url": {"en": "Endpoint URL", "ko": "엔드포인트 URL"},
    "remote_model": {"en": "Remote model", "ko": "원격 모델"},
    "remote_key": {"en": "API key", "ko": "API 키"},
    "remote_check": {"en": "Check endpoint", "ko": "엔드포인트 확인"},
    "remote_models": {"en": "Models at the endpoint: {names}", "ko": "엔드포인트의 모델: {names}"},
    "system_box": {"en": "System prompt", "ko": "시스템 프롬프트"},
    "preset": {"en": "Preset", "ko": "프리셋"},
    "preset_lang": {"en": "Preset language", "ko": "프리셋 언어"},
    "decoding": {"en": "Decoding", "ko": "디코딩"},
    "sampling": {"en": "Sample (off = greedy, as in the paper)",
                 "ko": "샘플링 (끄면 논문처럼 가장 확률 높은 토큰을 고름)"},
    "temperature": {"en": "Temperature", "ko": "온도"},
    "top_p": {"en": "Top-p", "ko": "Top-p"},
    "max_new": {"en": "Max new tokens", "ko": "최대 생성 토큰"},
    "compare": {"en": "Compare base vs tuned", "ko": "기본 모델과 튜닝 모델 비교"},
    "chat_tuned": {"en": "Answer", "ko": "답변"},
    "chat_base": {"en": "Base model (adapter off)", "ko": "기본 모델 (어댑터 끔)"},
    "message": {"en": "Message", "ko": "메시지"},
    "message_ph": {"en": "Ask a chemistry question in Korean or English…",
                   "ko": "한국어나 영어로 화학 질문을 입력하세요…"},
    "send": {"en": "Send", "ko": "보내기"},
    "stop": {"en": "Stop", "ko": "중지"},
    "clear": {"en": "Clear", "ko": "지우기"},
    "examples": {"en": "Example prompts (one per task type)", "ko": "예시 프롬프트 (작업 유형별)"},
    "example_ko": {"en": "KO", "ko": "한국어"},
    "example_en": {"en": "EN", "ko": "영어"},
    "compare_remote": {"en": "Compare mode needs a model loaded here, not a remote endpoint.",
                       "ko": "비교 모드는 원격 엔드포인트가 아니라 여기서 불러온 모델에서만 됩니다."},
    "preset_chemist": {"en": "Chemistry expert", "ko": "화학 전문가"},
    "preset_tutor": {"en": "Teacher", "ko": "화학 교사"},
    "preset_none": {"en": "None", "ko": "없음"},
    "lang_ko": {"en": "Korean", "ko": "한국어"},
    "lang_en": {"en": "English", "ko": "영어"},
    # what the handlers write
    "loaded": {"en": "Loaded **{base}** on {device}{adapter}.",
               "ko": "**{base}** 모델을 {device}에 불러왔습니다{adapter}."},
    "with_adapter": {"en": " with adapter **{name}**", "ko": " (어댑터 **{name}**)"},
    "unloaded": {"en": "No model loaded; memory freed.",
                 "ko": "불러온 모델이 없습니다. 메모리를 비웠습니다."},
    "stats": {"en": "**{who}:** first token {ttft} · {speed} · {tokens} tokens",
              "ko": "**{who}:** 첫 토큰 {ttft} · {speed} · {tokens} 토큰"},
    "speed": {"en": "{rate} tokens/s", "ko": "초당 {rate} 토큰"},
    "who_tuned": {"en": "Tuned", "ko": "튜닝 모델"},
    "who_base": {"en": "Base", "ko": "기본 모델"},
    "who_answer": {"en": "Answer", "ko": "답변"},
    "stopped": {"en": " · stopped", "ko": " · 중지됨"},
}

PRESETS = {"chemist": "preset_chemist", "tutor": "preset_tutor", "none": "preset_none"}
PRESET_LANGS = {"ko": "lang_ko", "en": "lang_en"}
# How often a streaming answer is redrawn: a browser update per token would cost more time than the token
# itself on a fast model, and the generation thread would wait for the UI.
REDRAW_S = 0.05
STOPS: Any = None  # StopSignals, made on first build (chemtune.chat imports torch lazily)


def _say(key: str, lang: str, **args: Any) -> str:
    return lookup(STRINGS, key, lang if lang in STRINGS[key] else "en", args or None)


def _error(exc: ChemtuneError, lang: str) -> gr.Error:
    return gr.Error(exc.text(lang), print_exception=False)


def describe(engine: Any, active: str, lang: str) -> str:
    """The status line: which model (and adapter) is loaded, on which device."""
    if not engine.loaded:
        return _say("unloaded", lang)
    info = engine.info()
    device = str(info["device"])
    device = f"GPU ({device})" if device.startswith("cuda") else device.upper()
    extra = _say("with_adapter", lang, name=active) if active != engine.base else ""
    return _say("loaded", lang, base=info["base"], device=device, adapter=extra)


def speeds(answers: list, lang: str) -> str:
    """One line per answer so far: time to the first token, tokens per second, tokens."""
    lines = []
    for answer in answers:
        reply = answer.reply
        ttft = f"{reply.ttft_ms:.0f} ms" if reply.ttft_ms is not None else "–"
        rate = f"{reply.tokens_per_second:.1f}" if reply.tokens_per_second else "–"
        line = _say("stats", lang, who=_say(f"who_{answer.who}", lang), ttft=ttft,
                    speed=_say("speed", lang, rate=rate), tokens=reply.tokens)
        lines.append(line + (_say("stopped", lang) if reply.stopped else ""))
    return "  \n".join(lines)


def example_labels(lang: str) -> list[str]:
    return [f"{_say(f'example_{ex_lang}', lang)} · {presets.TASK_LABELS[task][lang]}"
            for ex_lang, task in EXAMPLE_PAIRS]


EXAMPLE_PAIRS = [(lang, task) for lang in ("ko", "en") for task in presets.EXAMPLES]


# ---- handlers: each takes its inputs by name (pages.widgets.by_name) ---------------------------------
def refresh_adapters(current: str) -> dict:
    from chemtune.chat.session import adapter_choices

    return gr.update(choices=adapter_choices(), value=current or "")


def adapter_picked(form: dict) -> str:
    """A picked train run brings its base model along; a folder path leaves the model as it is."""
    from chemtune.chat.adapters import run_base_model

    adapter, base = form["adapter"], form["base"]
    try:
        return run_base_model(adapter) or base if adapter and "/" not in adapter else base
    except ChemtuneError:
        return base


def load(form: dict) -> tuple[str, str]:
    from chemtune.chat.session import load_local

    try:
        engine, active = load_local(form["base"], form["adapter"], trust_remote_code=bool(form["trust"]))
    except ChemtuneError as exc:
        raise _error(exc, form["lang"]) from None
    return active, describe(engine, active, form["lang"])


def unload(form: dict) -> tuple[Any, str]:
    from chemtune.chat.engine import shared_engine

    engine = shared_engine()
    try:
        engine.unload()
    except ChemtuneError as error:
        return gr.update(), f"⚠️ {error.text(form['lang'])}"
    return "", describe(engine, "", form["lang"])


def redraw_status(form: dict) -> str:
    """The status line again, in the language just picked."""
    from chemtune.chat.engine import shared_engine

    return describe(shared_engine(), form["active"], form["lang"])


def check_remote(form: dict) -> str:
    from chemtune.chat.remote import RemoteChat

    try:
        names = RemoteChat(form["url"], "", form["key"]).model_names()
    except ChemtuneError as exc:
        raise _error(exc, form["lang"]) from None
    return _say("remote_models", form["lang"], names=", ".join(names) or "—")


def send(form: dict, request: gr.Request) -> Any:
    """Stream one turn; yields (message box, chatbot, base chatbot, stats, active model, status)."""
    from chemtune.chat.engine import Settings
    from chemtune.chat.session import Turn, load_local, respond

    lang, active = form["lang"], form["active"]
    if not (form["message"] or "").strip():
        return
    status = gr.update()
    try:
        settings = Settings(max_new_tokens=int(form["max_new"]),
                            temperature=float(form["temperature"]) if form["sampling"] else 0.0,
                            top_p=float(form["top_p"]), fit_context=True).check()
        if form["use_remote"]:
            if form["compare"]:
                raise ChemtuneError(_say("compare_remote", "en"), ko=_say("compare_remote", "ko"))
            from chemtune.chat.remote import RemoteChat

            backend = RemoteChat(form["url"], form["remote_model"], form["key"])
            model, compare_with = form["remote_model"], None
        else:
            # What the pickers show is what answers: loads it if Load was not pressed (a no-op otherwise).
            engine, active = load_local(form["base"], form["adapter"], trust_remote_code=bool(form["trust"]))
            status = describe(engine, active, lang)
            backend, model = engine, active
            compare_with = engine.base if form["compare"] else None
        turn = Turn(backend, model, form["system"], settings, compare_with, STOPS.fresh(request.session_hash))
        for chat, base_chat, answers in respond(turn, form["message"], form["history"],
                                                form["base_history"], redraw_s=REDRAW_S):
            yield "", chat, base_chat, speeds(answers, lang), active, status
    except ChemtuneError as exc:
        raise _error(exc, lang) from None


def stop(request: gr.Request) -> None:
    STOPS.stop(request.session_hash)


def fill_system(form: dict) -> str:
    return presets.system_prompt(form["preset"], form["preset_lang"])


def relabel_examples(lang: str) -> dict:
    return gr.update(sample_labels=example_labels(lang), label=_say("examples", lang))


# ---- layout and wiring ---------------------------------------------------------------------------
def build(text: PageText) -> None:
    global STOPS
    from chemtune.chat.session import StopSignals

    STOPS = STOPS or StopSignals()
    text.markdown("intro")
    w: dict[str, Any] = {"active": gr.State(""), "lang": text.language}
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            _model_box(text, w)
            w["use_remote"] = text.add(gr.Checkbox, label="use_remote", value=False,
                                       elem_id="chat-use-remote")
            with gr.Group(visible=False) as remote_box:
                _remote_box(text, w)
            with text.add(gr.Accordion, label="system_box", open=True):
                _system_box(text, w)
            with text.add(gr.Accordion, label="decoding", open=False):
                _decoding_box(text, w)
            w["compare"] = text.add(gr.Checkbox, label="compare", value=False, elem_id="chat-compare")
        with gr.Column(scale=3):
            examples = _conversation(text, w)
    _wire(text, w, remote_box, examples)


def _model_box(text: PageText, w: dict) -> None:
    with gr.Group():
        w["base"] = _fixed(text, gr.Dropdown, "model", "model_info", choices=_model_choices(),
                           value=_resident_or_default(), allow_custom_value=True, elem_id="chat-model")
        w["adapter"] = _fixed(text, gr.Dropdown, "adapter", "adapter_info", choices=[("—", "")], value="",
                              allow_custom_value=True, elem_id="chat-adapter")
        w["trust"] = text.add(gr.Checkbox, label="trust", info="trust_info", value=False,
                              elem_id="chat-trust-remote-code")
        with gr.Row():
            w["refresh"] = text.add(gr.Button, value="refresh", size="sm")
            w["load"] = text.add(gr.Button, value="load", variant="primary", size="sm", elem_id="chat-load")
            w["unload"] = text.add(gr.Button, value="unload", size="sm", elem_id="chat-unload")
        # Written by the handlers (so not registered); redrawn in the new language on a switch.
        w["status"] = gr.Markdown(text.text("no_model"), elem_id="chat-status")


def _remote_box(text: PageText, w: dict) -> None:
    w["url"] = text.register(gr.Textbox(label=text.text("remote_url"), placeholder="http://127.0.0.1:8000/v1",
                                        elem_id="chat-remote-url"), label="remote_url")
    w["remote_model"] = text.add(gr.Textbox, label="remote_model", elem_id="chat-remote-model")
    w["key"] = text.add(gr.Textbox, label="remote_key", type="password", elem_id="chat-remote-key")
    w["check"] = text.add(gr.Button, value="remote_check", size="sm")
    w["remote_status"] = gr.Markdown()


def _system_box(text: PageText, w: dict) -> None:
    with gr.Row():
        w["preset"] = text.register(gr.Dropdown(label=text.text("preset"), choices=text.choices(PRESETS),
                                                value="chemist", elem_id="chat-preset"),
                                    label="preset", choices=PRESETS)
        w["preset_lang"] = text.register(gr.Radio(label=text.text("preset_lang"), value=text.lang,
                                                  choices=text.choices(PRESET_LANGS),
                                                  elem_id="chat-preset-lang"),
                                         label="preset_lang", choices=PRESET_LANGS)
    w["system"] = text.register(gr.Textbox(label=text.text("system_box"), lines=3,
                                           value=presets.system_prompt("chemist", text.lang),
                                           elem_id="chat-system"), label="system_box")


def _decoding_box(text: PageText, w: dict) -> None:
    w["sampling"] = text.add(gr.Checkbox, label="sampling", value=False, elem_id="chat-sampling")
    w["temperature"] = text.add(gr.Slider, label="temperature", minimum=0.05, maximum=2.0, value=0.7,
                                step=0.05)
    w["top_p"] = text.add(gr.Slider, label="top_p", minimum=0.05, maximum=1.0, value=0.95, step=0.05)
    w["max_new"] = text.add(gr.Slider, label="max_new", minimum=1, maximum=2048, value=256, step=1,
                            elem_id="chat-max-new")


def _conversation(text: PageText, w: dict) -> Any:
    with gr.Row():
        w["history"] = text.add(gr.Chatbot, label="chat_tuned", height=460, elem_id="chat-tuned",
                                buttons=["copy"])
        w["base_history"] = text.add(gr.Chatbot, label="chat_base", height=460, visible=False,
                                     elem_id="chat-base", buttons=["copy"])
    w["message"] = text.add(gr.Textbox, label="message", placeholder="message_ph", lines=2,
                            elem_id="chat-message")
    with gr.Row():
        w["send"] = text.add(gr.Button, value="send", variant="primary", elem_id="chat-send")
        w["stop"] = text.add(gr.Button, value="stop", variant="stop", elem_id="chat-stop")
        w["clear"] = text.add(gr.Button, value="clear", elem_id="chat-clear")
    w["stats"] = gr.Markdown(elem_id="chat-stats")
    examples = gr.Examples(examples=[[presets.EXAMPLES[task][lang]] for lang, task in EXAMPLE_PAIRS],
                           example_labels=example_labels(text.lang), label=text.text("examples"),
                           inputs=[w["message"]], examples_per_page=14)
    return examples.dataset


def _wire(text: PageText, w: dict, remote_box: Any, examples: Any) -> None:
    def inputs(*names: str) -> dict[str, Any]:
        return {name: w[name] for name in names}

    private = {"api_visibility": "private"}
    conn = inputs("base", "adapter", "trust", "lang")
    w["refresh"].click(refresh_adapters, w["adapter"], w["adapter"], **private)
    w["adapter"].change(*by_name(adapter_picked, inputs("adapter", "base")), outputs=w["base"], **private)
    w["load"].click(*by_name(load, conn), outputs=[w["active"], w["status"]], **private)
    w["unload"].click(*by_name(unload, inputs("lang")), outputs=[w["active"], w["status"]], **private)
    w["use_remote"].change(lambda on: gr.update(visible=on), w["use_remote"], remote_box, **private)
    w["check"].click(*by_name(check_remote, inputs("url", "key", "lang")), outputs=w["remote_status"],
                     **private)
    for picker in (w["preset"], w["preset_lang"]):
        picker.change(*by_name(fill_system, inputs("preset", "preset_lang")), outputs=w["system"], **private)
    w["compare"].change(lambda on: gr.update(visible=on), w["compare"], w["base_history"], **private)
    turn = inputs("message", "history", "base_history", "active", "base", "adapter", "trust", "use_remote",
                  "url", "remote_model", "key", "system", "sampling", "temperature", "top_p", "max_new",
                  "compare", "lang")
    shown = [w[name] for name in ("message", "history", "base_history", "stats", "active", "status")]
    for event in (w["send"].click, w["message"].submit):
        event(*by_name(send, turn), outputs=shown, **private)
    w["stop"].click(stop, None, None, queue=False, **private)
    w["clear"].click(lambda: ([], [], ""), None, [w["history"], w["base_history"], w["stats"]], **private)
    if text.language is not None:
        text.on_language(*by_name(redraw_status, inputs("active", "lang")), outputs=w["status"],
                             show_progress="hidden", **private)
        text.on_language(relabel_examples, text.language, examples)
    # No triggers: runs when the page opens, so the picker lists the runs there are now.
    gr.on(None, lambda: refresh_adapters(""), None, w["adapter"], **private)


def _fixed(text: PageText, cls: type, label: str, info: str | None = None, **kwargs: Any) -> Any:
    """A component whose label (and info) follow the language but whose value is not a string id."""
    ids = {"label": label} | ({"info": info} if info else {})
    component = cls(**{name: text.text(key) for name, key in ids.items()}, **kwargs)
    return text.register(component, **ids)


def _model_choices() -> list[str]:
    from chemtune.models import model_choices

    return model_choices()


def _resident_or_default() -> str:
    """The model the app serves under /v1 when it does (the tab shares it), else the best one offline."""
    from chemtune.chat.engine import shared_engine
    from chemtune.models import default_model

    return shared_engine().pinned or default_model()


# ---- the API under /v1 (optional) --------------------------------------------------------------------
def api_from_env(environ: Any) -> Any:
    """The /v1 API over the Chat tab's engine, from CHEMTUNE_SERVE_MODEL, CHEMTUNE_SERVE_ADAPTERS
    ("name=path-or-run-id,…") and CHEMTUNE_SERVE_API_KEY; the model loads now, so a wrong name fails early."""
    from chemtune.chat.server import api_from_env

    return api_from_env(dict(environ))


def launch_with_api(demo: gr.Blocks, api: Any, auth: Any = None, environ: Any = None) -> None:
    """Serve the app at / and the API at /v1 on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (one process, so
    the Chat tab and the API share the one resident model)."""
    import uvicorn
    from fastapi import FastAPI

    environ = os.environ if environ is None else environ
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/v1", api)
    app = gr.mount_gradio_app(app, demo, path="/", auth=auth)
    host = environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(environ.get("GRADIO_SERVER_PORT", "7860"))
    print(f"chemtune app at http://{host}:{port}/ · OpenAI-compatible API at http://{host}:{port}/v1",
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
