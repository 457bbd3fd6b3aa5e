"""The app shell without a browser: tabs, language switching, footer and CHEMTUNE_AUTH / CHEMTUNE_LANG."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

import app
import pages
from chemtune.errors import ChemtuneError
from pages.i18n import LANGUAGES, Translator, check_strings, initial_language, merge_update

# The first four tabs, in order; a tab added later (Study) comes after them.
EN_TABS = ["Data", "Train", "Evaluate", "Chat"]
KO_TABS = ["데이터", "학습", "평가", "채팅"]


def tab_labels(demo: gr.Blocks) -> list[str]:
    """The app's own tabs (elem_id "tab-<page>" from app.py); a page's inner sub-tabs are not counted."""
    return [block.label for block in demo.blocks.values()
            if isinstance(block, gr.Tab) and (block.elem_id or "").startswith("tab-")]


def markdown_texts(demo: gr.Blocks) -> str:
    return "\n".join(str(block.value) for block in demo.blocks.values() if isinstance(block, gr.Markdown))


def test_app_builds_with_a_tab_per_page_in_order() -> None:
    demo = app.build_app()
    assert isinstance(demo, gr.Blocks)
    assert demo.title == "chemtune"
    assert tab_labels(demo) == [page.STRINGS["tab"]["en"] for page in pages.PAGES]
    assert tab_labels(demo)[:4] == EN_TABS


def test_chemtune_lang_ko_opens_in_korean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHEMTUNE_LANG", "ko_KR.UTF-8")
    demo = app.build_app()
    assert tab_labels(demo)[:4] == KO_TABS
    assert tab_labels(demo) == [page.STRINGS["tab"]["ko"] for page in pages.PAGES]
    texts = markdown_texts(demo)
    assert "범용 LLM을 한국어·영어 화학 전문 모델로 인스트럭션 튜닝합니다." in texts


def test_unknown_chemtune_lang_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHEMTUNE_LANG", "fr")
    with pytest.raises(ChemtuneError, match="CHEMTUNE_LANG='fr'.*'en'.*'ko'"):
        initial_language()


def test_footer_shows_device_and_workspace(isolated_workspace: Path) -> None:
    texts = markdown_texts(app.build_app())
    assert f"`{isolated_workspace.resolve()}`" in texts
    assert "**Device:** " in texts


def test_footer_describes_the_device_in_the_page_language(isolated_workspace: Path) -> None:
    from chemtune.hardware import describe_device

    texts = markdown_texts(app.build_app("ko"))
    device = describe_device("ko")["text"]
    assert f"**장치:** {device} · **작업 폴더:** `{isolated_workspace.resolve()}`" in texts


def descendants(block: gr.blocks.Block) -> list[gr.blocks.Block]:
    children = getattr(block, "children", [])
    return children + [grandchild for child in children for grandchild in descendants(child)]


def test_every_tab_is_finished_and_has_controls() -> None:
    # No page is a placeholder any more: none says "not available yet", each has buttons and inputs.
    demo = app.build_app()
    tabs = {block.elem_id: block for block in demo.blocks.values() if isinstance(block, gr.Tab)}
    for page in pages.PAGES:
        assert "not_yet" not in page.STRINGS, page.__name__
        inside = descendants(tabs[f"tab-{page.__name__.rsplit('.', 1)[-1]}"])
        assert any(isinstance(block, gr.Button) for block in inside), page.__name__
        assert any(isinstance(block, (gr.Textbox, gr.Dropdown, gr.Number, gr.File)) for block in inside), \
            page.__name__


def test_language_switch_updates_every_translated_component_including_tab_titles() -> None:
    ui = Translator("en")
    strings = {
        "tab": {"en": "Train", "ko": "학습"},
        "model": {"en": "Base model", "ko": "기본 모델"},
        "hint": {"en": "e.g. {example}", "ko": "예: {example}"},
    }
    with gr.Blocks():
        ui.language_switch()
        text = ui.page(strings, "example")
        with text.add(gr.Tab, label="tab") as tab:
            box = text.add(
                gr.Textbox, label="model", placeholder="hint", format_args={"example": "llama"}, value=None
            )
        ui.connect()
    assert (tab.label, box.label, box.placeholder) == ("Train", "Base model", "e.g. llama")
    assert ui.components == [tab, box]
    tab_update, box_update = ui.updates("ko")
    assert tab_update["label"] == "학습"
    assert (box_update["label"], box_update["placeholder"]) == ("기본 모델", "예: llama")


def test_a_switch_is_one_event_that_relabels_and_runs_every_redraw() -> None:
    """Redraws run inside the switch's own event (each extra event costs the browser about a second once
    every tab is drawn): a written status is redrawn in the new language and merged with its new label."""
    ui = Translator("en")
    strings = {"status": {"en": "Status", "ko": "상태"}, "done": {"en": "Done.", "ko": "완료."}}
    with gr.Blocks() as demo:
        switch = ui.language_switch()
        text = ui.page(strings, "example")
        status = text.add(gr.Textbox, label="status", value=None)
        count = gr.State(3)
        text.on_language(lambda lang, n: text.text("done", lang) * n, [switch, count], status)
        text.on_language(lambda data: gr.update(info=str(data[count])), {count}, status)
        ui.connect()
    fired = [fn for fn in demo.fns.values()
             if any((t[0] if isinstance(t, tuple) else t) == switch._id for t in fn.targets)]
    assert len(fired) == 1 and fired[0].queue is False
    found = ui.switched({switch: "ko", count: 2}, None)
    assert found[status] == {"__type__": "update", "label": "상태", "value": "완료.완료.", "info": "2"}
    assert merge_update("a table's rows", gr.update(label="표")) == {"__type__": "update",
                                                                     "value": "a table's rows", "label": "표"}
    assert merge_update(gr.update(label="표"), gr.skip()) == {"__type__": "update", "label": "표"}


def test_the_whole_app_switches_language_in_one_event() -> None:
    demo = app.build_app("en")
    switch = next(block for block in demo.blocks.values() if (block.elem_id or "") == "language-switch")
    fired = [fn for fn in demo.fns.values()
             if any((t[0] if isinstance(t, tuple) else t) == switch._id for t in fn.targets)]
    assert len(fired) == 1


def test_every_page_has_every_string_in_every_language() -> None:
    for page in pages.PAGES:
        check_strings(page.STRINGS, page.__name__)
        assert "tab" in page.STRINGS
    check_strings(app.STRINGS, "app")
    assert set(LANGUAGES) == {"en", "ko"}


def test_missing_translation_fails_when_the_page_is_bound() -> None:
    with pytest.raises(ValueError, match=r"STRINGS\['intro'\] has no 한국어"):
        Translator().page({"intro": {"en": "Hello"}}, "pages.example")


def test_unknown_string_id_fails_at_build_time() -> None:
    text = Translator().page({"tab": {"en": "Train", "ko": "학습"}}, "pages.example")
    with gr.Blocks(), pytest.raises(KeyError, match="'chem-ko-v1' is not an id"):
        text.add(gr.Textbox, label="tab", value="chem-ko-v1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("chemist:s3cret", ("chemist", "s3cret")), ("chemist:pa:ss", ("chemist", "pa:ss"))],
)
def test_chemtune_auth_is_split_at_the_first_colon(value: str, expected: tuple[str, str]) -> None:
    assert app.parse_auth(value) == expected


@pytest.mark.parametrize("value", ["chemist", ":s3cret", "chemist:", " :x"])
def test_malformed_chemtune_auth_is_rejected(value: str) -> None:
    with pytest.raises(ChemtuneError, match="user:password"):
        app.parse_auth(value)


def test_malformed_chemtune_auth_exits_2_before_launching(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHEMTUNE_AUTH", "no-colon-here")
    monkeypatch.setattr(gr.Blocks, "launch", lambda *args, **kwargs: pytest.fail("must not launch"))
    assert app.main() == 2
    assert "error: CHEMTUNE_AUTH must look like 'user:password'" in capsys.readouterr().err


def test_good_chemtune_auth_is_passed_to_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHEMTUNE_AUTH", "chemist:s3cret")
    launched = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kwargs: launched.update(kwargs))
    assert app.main() == 0
    assert launched == {"auth": ("chemist", "s3cret")}

