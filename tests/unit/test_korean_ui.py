"""The Korean walk-through, without a browser: the app built with CHEMTUNE_LANG=ko shows no English UI text.

Every component of every tab is read: labels, help (info), placeholders, Markdown and HTML values, button
text, choice labels, table headers, example labels, plot titles and axes set at build time, accordion and
tab titles. One test per tab (`-k chat`, `-k evaluate` …) plus the app shell. What may stay in Latin
script is decided in tests/support/korean_text.py. Text boxes' values are not read: they are the user's
content (a default document, a run name), not UI text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

import pages
from tests.support.korean_text import findings, names_in_workspace

PAGES = {page.__name__.rsplit(".", 1)[-1]: page for page in pages.PAGES}
PAGE_NAMES = list(PAGES)
CHOICE_KINDS = (gr.Radio, gr.Dropdown, gr.CheckboxGroup)
SKIPPED = {"language-switch"}  # names each language in its own script, so either reader finds theirs


@pytest.fixture(scope="module")
def korean_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(tmp_path_factory.mktemp("ko") / "chemtune-home"))
        mp.setenv("CHEMTUNE_LANG", "ko")
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def korean_app(korean_home: None) -> gr.Blocks:
    import app

    return app.build_app()


def korean_tab(page: Any) -> gr.Tab:
    """One page's tab built in Korean as app.py builds it (alone, so each tab's test stands on its own)."""
    import app
    from pages.i18n import Translator

    ui = Translator("ko")
    with gr.Blocks():
        ui.language_switch()
        tab = app.build_tab(ui, page)
        ui.connect()
    return tab


def descendants(block: gr.blocks.Block) -> list[gr.blocks.Block]:
    children = getattr(block, "children", None) or []
    return [item for child in children for item in (child, *descendants(child))]


def page_tabs(demo: gr.Blocks) -> dict[str, gr.Tab]:
    return {block.elem_id.removeprefix("tab-"): block for block in demo.blocks.values()
            if isinstance(block, gr.Tab) and (block.elem_id or "").startswith("tab-")}


def figure_texts(figure: Any) -> list[str]:
    """Title, axis titles and legend names of a Plotly figure (as a figure or its dict)."""
    data = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure
    if not isinstance(data, dict):
        return []
    layout = data.get("layout") or {}
    texts = [(layout.get(key) or {}).get("title", {}) for key in ("xaxis", "yaxis")] + [layout.get("title")]
    texts = [t.get("text") if isinstance(t, dict) else t for t in texts]
    texts += [trace.get("name") for trace in data.get("data") or []]
    return [t for t in texts if isinstance(t, str)]


def block_texts(block: gr.blocks.Block, names: set[str]) -> list[tuple[str, str]]:
    """(where, text) for every piece of UI text a component shows."""
    where = f"{type(block).__name__}#{block.elem_id or block._id}"
    texts = [(f"{where}.{attr}", getattr(block, attr)) for attr in ("label", "info", "placeholder")
             if isinstance(getattr(block, attr, None), str)]
    if isinstance(block, (gr.Markdown, gr.HTML, gr.Button)) and isinstance(block.value, str):
        texts.append((f"{where}.value", block.value))
    if isinstance(block, CHOICE_KINDS):
        texts += [(f"{where}.choice[{value!r}]", str(label)) for label, value in block.choices or []
                  if str(label) not in names]
    if isinstance(block, gr.Dataframe):
        texts += [(f"{where}.header", str(header)) for header in block.headers or []]
    if isinstance(block, gr.Dataset):
        texts += [(f"{where}.example_label", str(label)) for label in block.sample_labels or []]
    if isinstance(block, gr.Plot):
        texts += [(f"{where}.figure", text) for text in figure_texts(block.value)]
    return texts


def english_in(blocks: list[gr.blocks.Block]) -> list[str]:
    names = names_in_workspace()
    texts = [item for block in blocks if (block.elem_id or "") not in SKIPPED
             for item in block_texts(block, names)]
    return findings(texts, names)


@pytest.mark.parametrize("tab", PAGE_NAMES)
def test_korean_tab_shows_no_english_ui_text(korean_home: None, tab: str) -> None:
    panel = korean_tab(PAGES[tab])
    found = english_in([panel, *descendants(panel)])
    assert not found, f"English UI text on the Korean {tab} tab:\n" + "\n".join(found)


def test_korean_app_shell_shows_no_english_ui_text(korean_app: gr.Blocks) -> None:
    inside = {id(block) for tab in page_tabs(korean_app).values() for block in (tab, *descendants(tab))}
    shell = [block for block in korean_app.blocks.values() if id(block) not in inside]
    found = english_in(shell)
    assert not found, "English UI text in the Korean app shell:\n" + "\n".join(found)


def test_the_walk_reads_every_kind_of_text(korean_home: None) -> None:
    """The walk is only as good as what it reads: it must see labels, help, buttons, choices and headers."""
    every = [block for tab in ("chat", "train") for block in descendants(korean_tab(PAGES[tab]))]
    wheres = [where for block in every for where, _ in block_texts(block, set())]
    for part in (".label", ".info", ".placeholder", ".value", ".choice[", ".header"):
        assert any(part in where for where in wheres), part


@pytest.mark.parametrize(("text", "words"), [
    ("학습을 시작했습니다. `python -m chemtune train --config RUN/config.yaml`", []),
    ("GPU 메모리 12 GB · LoRA 랭크 · macro-F1 · exam.csv · http://127.0.0.1:8000/v1", []),
    ("초당 30 tokens/s", ["tokens"]),
    ("샘플링 (끄면 greedy)", ["greedy"]),
    ("Start training", ["Start", "training"]),
])
def test_english_words_keeps_names_and_finds_english(text: str, words: list[str]) -> None:
    from tests.support.korean_text import english_words

    assert english_words(text) == words


def test_names_given_whole_are_not_findings(isolated_workspace: Path) -> None:
    from tests.support.korean_text import english_words

    names = {"tiny", "sample", "meta-llama/Llama-2-7b-hf"}
    assert english_words("tiny 모델 · sample 데이터셋 · meta-llama/Llama-2-7b-hf", names) == []
    assert english_words("tiny model", names) == ["model"]
