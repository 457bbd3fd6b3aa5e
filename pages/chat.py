"""Chat tab: talk to a base model plus a tuned LoRA adapter (or a remote endpoint), compare base and tuned
answers side by side; and, when asked, the OpenAI-compatible API mounted under /v1 of the app."""

from __future__ import annotations

import os
from typing import Any

import gradio as gr

from chemtune.chat import presets
from chemtune.errors import ChemtuneError
from pages.i18n import PageText

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
    "sampling": {"en": "Sample (off = greedy, as in the paper)", "ko": "샘플링 (끄면 논문처럼 greedy)"},
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
    "compare_remote": {"en": "Compare mode needs a model loaded here, not a remote endpoint.",
                       "ko": "비교 모드는 원격 엔드포인트가 아니라 여기서 불러온 모델에서만 됩니다."},
}

PRESET_CHOICES = [("Chemistry expert / 화학 전문가", "chemist"), ("Teacher / 화학 교사", "tutor"),
                  ("None / 없음", "none")]
STOPS: Any = None  # StopSignals, made on first build (chemtune.chat imports torch lazily)


def _say(key: str, lang: str, **args: Any) -> str:
    texts = STRINGS[key]
    return (texts.get(lang) or texts["en"]).format(**args)


def _error(exc: Exception) -> gr.Error:
    return gr.Error(str(exc), print_exception=False)


# ---- handlers ------------------------------------------------------------------------------------
def refresh_adapters(current: str) -> dict:
    from chemtune.chat.session import adapter_choices

    choices = adapter_choices()
    return gr.update(choices=choices, value=current or "")


def adapter_picked(adapter: str, base: str) -> str:
    from chemtune.chat.adapters import run_base_model

    try:
        return run_base_model(adapter) or base if adapter and "/" not in adapter else base
    except ChemtuneError:
        return base


def load(base: str, adapter: str, trust: bool, lang: str) -> tuple[str, str]:
    from chemtune.chat.session import describe, load_local

    try:
        engine, active = load_local(base, adapter, trust_remote_code=bool(trust))
    except ChemtuneError as exc:
        raise _error(exc) from None
    return active, describe(engine, active, lang)


def _resident_or_default() -> str:
    """The model the app serves under /v1 when it does (the tab shares it), else the best one offline."""
    from chemtune.chat.engine import shared_engine
    from chemtune.models import default_model

    return shared_engine().pinned or default_model()


def unload(lang: str) -> tuple[str, str]:
    from chemtune.chat.engine import shared_engine
    from chemtune.chat.session import describe

    engine = shared_engine()
    try:
        engine.unload()
    except ChemtuneError as error:
        return gr.update(), f"⚠️ {error}"
    return "", describe(engine, "", lang)


def check_remote(url: str, key: str, lang: str) -> str:
    from chemtune.chat.remote import RemoteChat

    try:
        names = RemoteChat(url, "", key).model_names()
    except ChemtuneError as exc:
        raise _error(exc) from None
    return _say("remote_models", lang, names=", ".join(names) or "—")


def send(message: str, history: list, base_history: list, active: str, base: str, adapter: str,
         trust: bool, use_remote: bool, url: str, remote_model: str, key: str, system: str, sampling: bool,
         temperature: float, top_p: float, max_new: int, compare: bool, lang: str,
         request: gr.Request) -> Any:
    """Stream one turn; yields (message box, chatbot, base chatbot, stats, active model, status)."""
    from chemtune.chat.engine import Settings
    from chemtune.chat.session import Turn, describe, load_local, respond

    if not (message or "").strip():
        return
    status = gr.update()
    try:
        settings = Settings(max_new_tokens=int(max_new), temperature=float(temperature) if sampling else 0.0,
                            top_p=float(top_p), fit_context=True).check()
        if use_remote:
            if compare:
                raise ChemtuneError(_say("compare_remote", lang))
            from chemtune.chat.remote import RemoteChat

            backend, model, compare_with = RemoteChat(url, remote_model, key), remote_model, None
        else:
            # What the pickers show is what answers: loads it if Load was not pressed (a no-op otherwise).
            engine, active = load_local(base, adapter, trust_remote_code=bool(trust))
            status = describe(engine, active, lang)
            backend, model = engine, active
            compare_with = engine.base if compare else None
        turn = Turn(backend, model, system, settings, compare_with, lang, STOPS.fresh(request.session_hash))
        for chat, base_chat, stats in respond(turn, message, history, base_history):
            yield "", chat, base_chat, stats, active, status
    except ChemtuneError as exc:
        raise _error(exc) from None


def stop(request: gr.Request) -> None:
    STOPS.stop(request.session_hash)


def fill_system(preset: str, preset_lang: str) -> str:
    return presets.system_prompt(preset, preset_lang)


# ---- layout and wiring ---------------------------------------------------------------------------
def build(text: PageText) -> None:
    global STOPS
    from chemtune.chat.session import StopSignals

    STOPS = STOPS or StopSignals()
    text.markdown("intro")
    active = gr.State("")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            with gr.Group():
                base = _fixed(text, gr.Dropdown, "model", "model_info", choices=_model_choices(),
                              value=_resident_or_default(), allow_custom_value=True, elem_id="chat-model")
                adapter = _fixed(text, gr.Dropdown, "adapter", "adapter_info", choices=[("—", "")], value="",
                                 allow_custom_value=True, elem_id="chat-adapter")
                trust = text.add(gr.Checkbox, label="trust", info="trust_info", value=False,
                                 elem_id="chat-trust-remote-code")
                with gr.Row():
                    refresh = text.add(gr.Button, value="refresh", size="sm")
                    load_btn = text.add(gr.Button, value="load", variant="primary", size="sm",
                                        elem_id="chat-load")
                    unload_btn = text.add(gr.Button, value="unload", size="sm", elem_id="chat-unload")
                status = gr.Markdown(text.text("no_model"), elem_id="chat-status")
            use_remote = text.add(gr.Checkbox, label="use_remote", value=False, elem_id="chat-use-remote")
            with gr.Group(visible=False) as remote_box:
                url = text.register(gr.Textbox(label=text.text("remote_url"), placeholder="http://127.0.0.1:8000/v1",
                                               elem_id="chat-remote-url"), label="remote_url")
                remote_model = text.add(gr.Textbox, label="remote_model", elem_id="chat-remote-model")
                key = text.add(gr.Textbox, label="remote_key", type="password", elem_id="chat-remote-key")
                check = text.add(gr.Button, value="remote_check", size="sm")
                remote_status = gr.Markdown()
            with text.add(gr.Accordion, label="system_box", open=True):
                with gr.Row():
                    preset = _fixed(text, gr.Dropdown, "preset", choices=PRESET_CHOICES, value="chemist")
                    preset_lang = _fixed(text, gr.Radio, "preset_lang", value=text.lang,
                                         choices=[("KO", "ko"), ("EN", "en")],
                                         elem_id="chat-preset-lang")
                system = text.register(gr.Textbox(label=text.text("system_box"), lines=3,
                                                  value=presets.system_prompt("chemist", text.lang),
                                                  elem_id="chat-system"), label="system_box")
            with text.add(gr.Accordion, label="decoding", open=False):
                sampling = text.add(gr.Checkbox, label="sampling", value=False, elem_id="chat-sampling")
                temperature = text.add(gr.Slider, label="temperature", minimum=0.05, maximum=2.0, value=0.7,
                                       step=0.05)
                top_p = text.add(gr.Slider, label="top_p", minimum=0.05, maximum=1.0, value=0.95, step=0.05)
                max_new = text.add(gr.Slider, label="max_new", minimum=1, maximum=2048, value=256, step=1,
                                   elem_id="chat-max-new")
            compare = text.add(gr.Checkbox, label="compare", value=False, elem_id="chat-compare")
        with gr.Column(scale=3):
            with gr.Row():
                chatbot = text.add(gr.Chatbot, label="chat_tuned", height=460, elem_id="chat-tuned",
                                   buttons=["copy"])
                base_chatbot = text.add(gr.Chatbot, label="chat_base", height=460, visible=False,
                                        elem_id="chat-base", buttons=["copy"])
            message = text.add(gr.Textbox, label="message", placeholder="message_ph", lines=2,
                               elem_id="chat-message")
            with gr.Row():
                send_btn = text.add(gr.Button, value="send", variant="primary", elem_id="chat-send")
                stop_btn = text.add(gr.Button, value="stop", variant="stop", elem_id="chat-stop")
                clear = text.add(gr.Button, value="clear", elem_id="chat-clear")
            stats = gr.Markdown(elem_id="chat-stats")
            text.markdown("examples")
            pairs = [(lang, task) for lang in ("ko", "en") for task in presets.EXAMPLES]
            gr.Examples(examples=[[presets.EXAMPLES[task][lang]] for lang, task in pairs],
                        example_labels=[f"{lang.upper()} · {presets.TASK_LABELS[task][lang]}"
                                        for lang, task in pairs],
                        inputs=[message], examples_per_page=14)

    lang = text.language
    refresh.click(refresh_adapters, adapter, adapter, api_visibility="private")
    adapter.change(adapter_picked, [adapter, base], base, api_visibility="private")
    load_btn.click(load, [base, adapter, trust, lang], [active, status], api_visibility="private")
    unload_btn.click(unload, [lang], [active, status], api_visibility="private")
    use_remote.change(lambda on: gr.update(visible=on), use_remote, remote_box, api_visibility="private")
    check.click(check_remote, [url, key, lang], remote_status, api_visibility="private")
    preset.change(fill_system, [preset, preset_lang], system, api_visibility="private")
    preset_lang.change(fill_system, [preset, preset_lang], system, api_visibility="private")
    compare.change(lambda on: gr.update(visible=on), compare, base_chatbot, api_visibility="private")
    inputs = [message, chatbot, base_chatbot, active, base, adapter, trust, use_remote, url, remote_model,
              key, system, sampling, temperature, top_p, max_new, compare, lang]
    outputs = [message, chatbot, base_chatbot, stats, active, status]
    send_btn.click(send, inputs, outputs, api_visibility="private")
    message.submit(send, inputs, outputs, api_visibility="private")
    stop_btn.click(stop, None, None, queue=False, api_visibility="private")
    clear.click(lambda: ([], [], ""), None, [chatbot, base_chatbot, stats], api_visibility="private")
    # No triggers: runs when the page opens, so the picker lists the runs there are now.
    gr.on(None, lambda: refresh_adapters(""), None, adapter, api_visibility="private")


def _fixed(text: PageText, cls: type, label: str, info: str | None = None, **kwargs: Any) -> Any:
    """A component whose label (and info) follow the language but whose value is not a string id."""
    ids = {"label": label} | ({"info": info} if info else {})
    component = cls(**{name: text.text(key) for name, key in ids.items()}, **kwargs)
    return text.register(component, **ids)


def _model_choices() -> list[str]:
    from chemtune.models import model_choices

    return model_choices()


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
