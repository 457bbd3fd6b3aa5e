"""chemtune web app: the tabs from pages/, an English / 한국어 switch, the device and workspace below.

Run `python app.py`. Gradio reads GRADIO_SERVER_NAME and GRADIO_SERVER_PORT itself;
CHEMTUNE_AUTH=user:password asks for a login, CHEMTUNE_LANG=ko opens the page in Korean.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no internet: no phoning home

import sys
from types import ModuleType

import gradio as gr

from chemtune import jobs, workspace
from chemtune.errors import ChemtuneError
from chemtune.hardware import describe_device
from chemtune.share import spaces
from pages import PAGES, chat
from pages.i18n import Translator, initial_language

STRINGS = {
    "header": {
        "en": "# ⚗️ chemtune\nInstruction-tune a general LLM into a Korean/English chemistry specialist.",
        "ko": "# ⚗️ chemtune\n범용 LLM을 한국어·영어 화학 전문 모델로 인스트럭션 튜닝합니다.",
    },
    "footer": {
        "en": "**Device:** {device} · **Workspace:** `{workspace}`",
        "ko": "**장치:** {device} · **작업 폴더:** `{workspace}`",
    },
    "space_lost": {
        "en": "⚠️ **This Space loses its workspace on every restart.** Add persistent storage in the "
              "Space's settings: chemtune then keeps everything in `/data/chemtune` (or set CHEMTUNE_HOME "
              "to a folder there).",
        "ko": "⚠️ **이 Space는 다시 시작할 때마다 작업 폴더를 잃습니다.** Space 설정에서 영구 저장소를 "
              "추가하면 chemtune이 모든 것을 `/data/chemtune`에 보관합니다(또는 CHEMTUNE_HOME을 그 안의 "
              "폴더로 설정하세요).",
    },
    "space_secrets": {
        "en": "**Space secrets:** {secrets}", "ko": "**Space 비밀 값:** {secrets}",
    },
}


def build_app(lang: str | None = None) -> gr.Blocks:
    """The whole app: header with language switch, one tab per page, device and workspace footer."""
    ui = Translator(lang or initial_language())
    shell = ui.page(shell_strings(), "app")
    with gr.Blocks(title="chemtune") as demo:
        with gr.Row(equal_height=True):
            with gr.Column(scale=4):
                shell.markdown("header")
            with gr.Column(scale=1, min_width=220):
                ui.language_switch()
        with gr.Tabs():
            for page in PAGES:
                build_tab(ui, page)
        shell.markdown("footer", elem_id="chemtune-footer")
        if workspace.on_space():  # which secrets are set, never their values
            names = ", ".join(f"{name} {'✓' if on else '–'}" for name, on in spaces.secrets_set().items())
            shell.markdown("space_secrets", format_args={"secrets": names}, elem_id="space-secrets")
        if workspace.lost_on_restart():
            shell.markdown("space_lost", elem_id="space-warning")
        ui.connect()
    return demo


def shell_strings() -> dict[str, dict[str, str]]:
    """STRINGS with the footer filled in: the device described in each language, the workspace folder."""
    home = workspace.home()
    footer = {lang: text.format(device=describe_device(lang)["text"], workspace=home)
              for lang, text in STRINGS["footer"].items()}
    return {**STRINGS, "footer": footer}


def build_tab(ui: Translator, page: ModuleType) -> gr.Tab:
    """One page's tab (elem_id "tab-<page>"), laid out and wired by the page's own build()."""
    name = page.__name__.rsplit(".", 1)[-1]
    text = ui.page(page.STRINGS, page.__name__)
    with text.add(gr.Tab, label="tab", id=name, elem_id=f"tab-{name}") as tab:
        page.build(text)
    return tab


def parse_auth(value: str) -> tuple[str, str]:
    """CHEMTUNE_AUTH "user:password" → (user, password); the password may itself contain ':'."""
    user, colon, password = value.partition(":")
    if not colon or not user.strip() or not password:
        raise ChemtuneError("CHEMTUNE_AUTH must look like 'user:password' (both parts non-empty).")
    return user.strip(), password


def main() -> int:
    try:
        auth = parse_auth(os.environ["CHEMTUNE_AUTH"]) if os.environ.get("CHEMTUNE_AUTH") else None
        # Optional: with CHEMTUNE_SERVE_MODEL set, the Chat tab's OpenAI-compatible API is served under /v1
        # (loaded first, so the Chat tab opens on the model it shares with the API).
        chat_api = chat.api_from_env(os.environ) if os.environ.get("CHEMTUNE_SERVE_MODEL") else None
        demo = build_app()
        # Jobs queued behind a GPU job that ended while the app was down start now.
        jobs.schedule()
    except ChemtuneError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if chat_api is not None:
        chat.launch_with_api(demo, chat_api, auth=auth)
        return 0
    demo.launch(auth=auth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
