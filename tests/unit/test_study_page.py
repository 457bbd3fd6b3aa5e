"""The Study tab's handlers: pickers write a study the CLI accepts, the plan names a bad field, the cell
grid speaks the page's language."""

from __future__ import annotations

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.job import check_config
from chemtune.study import config
from pages.i18n import Translator
from pages.study import Handlers
from pages.study_strings import STRINGS


@pytest.fixture
def handlers() -> Handlers:
    return Handlers(Translator("en").page(STRINGS, "pages.study"))


def test_the_pickers_write_a_study_the_cli_reads(handlers: Handlers) -> None:
    text = handlers.compose({"name": "picked", "models": ["tiny"], "seeds": "1, 2", "untuned": True,
                             "conditions": "English: sample-en, sample:0.5\n\n", "benchmarks": ["sample"]})
    study = config.from_yaml(text)
    assert study.models == ["tiny"] and study.seeds == [1, 2]
    assert {k: c.data for k, c in study.conditions.items()} == {"none": [], "English": ["sample-en",
                                                                                       "sample:0.5"]}
    assert study.benchmarks == [{"benchmark": "sample"}]
    alone = handlers.compose({"name": "x", "models": ["tiny"], "seeds": "", "untuned": False,
                              "conditions": "Total: sample", "benchmarks": ["sample"]})
    assert list(config.from_yaml(alone).conditions) == ["Total"]


def test_the_plan_shows_the_cells_or_names_the_bad_field(handlers: Handlers) -> None:
    good = "{name: p, models: [tiny], conditions: {none: []}, benchmarks: [{benchmark: sample}]}"
    message, frame, pick = handlers.plan(good, "ko")
    assert "셀 1개" in message and "학습 0개" in message
    assert list(frame.columns)[:3] == ["작업", "모델", "조건"]
    assert frame.iloc[0].tolist()[:3] == ["평가", "tiny", "none"] and frame.iloc[0]["상태"] == "대기 전"
    assert pick["value"].startswith("p-")
    bad = "{name: p, models: [tiny], conditions: {none: []}, benchmarks: [{benchmark: nope}]}"
    message, _, _ = handlers.plan(bad, "en")
    assert message.startswith("⚠️") and "benchmarks[0]" in message and "nope" in message
    # An option's own Korean refusal reaches a Korean page.
    shots = "{name: p, models: [tiny], conditions: {none: []}, benchmarks: [{benchmark: sample, shots: 99}]}"
    message, _, _ = handlers.plan(shots, "ko")
    with pytest.raises(ChemtuneError) as refusal:
        check_config({"model": "tiny", "benchmark": "sample", "shots": 99})
    korean = getattr(refusal.value, "ko", None)
    assert message.startswith("⚠️ 연구를 진행할 수 없습니다") and "benchmarks[0]" in message
    assert korean is None or korean in message


def test_a_page_without_a_study_says_so(handlers: Handlers) -> None:
    state, *_ = handlers.poll(None, "all", "macro_f1", "ko", None)
    assert state == STRINGS["no_study"]["ko"]
    assert handlers.reattach("en")["value"] is None
