"""What the Chat and Train tabs' handlers write on a Korean page (status lines, estimates, errors, tables)
is Korean, by the same rule as the walk-through (tests/support/korean_text.py); and the handlers take
their inputs by name."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pages import chat, train
from tests.support.korean_text import english_words, names_in_workspace


def assert_korean(text: str) -> None:
    assert text.strip()
    assert english_words(text, names_in_workspace()) == [], text


def train_form(**changes) -> dict:
    """The Train tab's inputs by name, as by_name hands them to a handler: the declared defaults."""
    from chemtune.train import config

    form = {name: config.describe(name)["default"] for name in train.OPTIONS}
    return form | {"model": "tiny", "data": ["sample"], "lang": "ko"} | changes


def test_the_estimate_is_korean(isolated_workspace: Path) -> None:
    text = train.show_estimate(train_form(max_steps=3))
    assert "**3 스텝**" in text and "어림한 값" in text
    assert_korean(text)
    english = train.show_estimate(train_form(max_steps=3, lang="en"))
    assert "**3 steps**" in english and "rough guess" in english


def test_the_estimate_says_in_korean_what_happened_to_long_examples(isolated_workspace: Path) -> None:
    text = train.show_estimate(train_form(max_steps=3, max_length=320, overlong="drop"))
    assert "320 토큰보다 긴 예제" in text and "버렸습니다" in text
    assert_korean(text)
    nothing_left = train.show_estimate(train_form(max_length=16, overlong="drop"))
    assert nothing_left.startswith("⚠️ 남은 학습 예제가 없습니다")
    assert_korean(nothing_left)


def test_a_refused_option_is_reported_in_korean(isolated_workspace: Path) -> None:
    text, picked = train.start_run(train_form(max_steps=-1))
    assert text.startswith("⚠️ 옵션 오류: 최대 스텝 (max_steps): 0 이상이어야 합니다")
    assert_korean(text)
    assert picked == {"__type__": "update"}  # no run was started, so none is picked


def test_abort_and_resume_without_a_run_say_so_in_korean(isolated_workspace: Path) -> None:
    assert train.abort_run({"run": None, "lang": "ko"}) == "먼저 실행을 고르세요."
    assert train.resume_run({"run": "", "lang": "ko"}) == "먼저 실행을 고르세요."


def test_poll_without_runs_is_korean_and_so_are_the_table_headers(isolated_workspace: Path) -> None:
    out = train.poll({"run": None, "overlay": [], "smoothing": 0.8, "view": None, "lang": "ko"})
    assert len(out) == 8
    assert_korean(out[1])
    table = out[6]
    assert list(table.columns) == ["실행", "상태", "모델", "데이터", "스텝", "최종 손실", "검증 손실",
                                "초당 토큰", "생성 시각"]
    assert train.poll({"run": None, "overlay": [], "smoothing": 0.8, "view": None,
                       "lang": "en"})[6].columns[1] == "status"


def test_a_past_runs_state_is_shown_in_korean() -> None:
    row = {"run_id": "train-1", "status": "done", "model": "tiny", "data": "sample", "steps": 6,
           "final_loss": 1.5, "eval_loss": None, "tokens_per_second": 120.0, "created": "2026-01-01"}
    assert train.runs_table([row], "ko").values.tolist()[0][:2] == ["train-1", "완료"]
    assert train.runs_table([row], "en").values.tolist()[0][:2] == ["train-1", "done"]
    assert list(train.runs_table([], "ko").columns)[:2] == ["실행", "상태"]


def test_durations_are_worded_in_the_page_language() -> None:
    assert [train._duration(s, "ko") for s in (42, 185, 7300)] == ["42초", "3분 05초", "2시간 01분"]
    assert [train._duration(s, "en") for s in (42, 185, 7300)] == ["42 s", "3 min 05 s", "2 h 01 min"]


def test_chat_status_and_speeds_are_korean() -> None:
    from chemtune.chat.session import Answer

    engine = SimpleNamespace(loaded=True, base="tiny", info=lambda: {"base": "tiny", "device": "cpu"})
    loaded = chat.describe(engine, "train-chem", "ko")
    assert loaded == "**tiny** 모델을 CPU에 불러왔습니다 (어댑터 **train-chem**)."
    unloaded = chat.describe(SimpleNamespace(loaded=False), "", "ko")
    assert unloaded == "불러온 모델이 없습니다. 메모리를 비웠습니다."
    reply = SimpleNamespace(ttft_ms=12.0, tokens_per_second=30.5, tokens=8, stopped=True)
    line = chat.speeds([Answer("tuned", reply), Answer("base", reply)], "ko")
    assert line == ("**튜닝 모델:** 첫 토큰 12 ms · 초당 30.5 토큰 · 8 토큰 · 중지됨  \n"
                    "**기본 모델:** 첫 토큰 12 ms · 초당 30.5 토큰 · 8 토큰 · 중지됨")
    assert_korean(line)
    assert "30.5 tokens/s" in chat.speeds([Answer("answer", reply)], "en")


def test_chat_example_labels_follow_the_language() -> None:
    labels = chat.example_labels("ko")
    assert labels[0].startswith("한국어 · ") and labels[-1].startswith("영어 · ")
    for label in labels:
        assert_korean(label)
    assert chat.example_labels("en")[-1].startswith("EN · ")


def test_compare_with_a_remote_endpoint_is_refused_in_korean() -> None:
    form = {"message": "촉매란?", "lang": "ko", "active": "", "max_new": 8, "temperature": 0.7,
            "sampling": False, "top_p": 0.95, "use_remote": True, "compare": True}
    with pytest.raises(Exception) as raised:
        list(chat.send(form, SimpleNamespace(session_hash="s")))
    assert "비교 모드는 원격 엔드포인트가 아니라" in str(raised.value.message)


def test_by_name_hands_a_handler_its_inputs_by_name() -> None:
    import gradio as gr

    from pages.widgets import by_name

    with gr.Blocks():
        first, second = gr.Textbox(), gr.Number()
    fn, inputs = by_name(lambda values: f"{values['first']}:{values['second']}",
                         {"first": first, "second": second})
    assert inputs == {first, second}
    assert fn({second: 2, first: "a"}, None) == "a:2"  # the order of the layout does not matter
