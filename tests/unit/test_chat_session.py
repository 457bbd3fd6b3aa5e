"""What the Chat tab and `chemtune chat` do: Gradio-format histories, compare mode, stop per session, and
the one-shot `--prompt --json` answer."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from chemtune.chat.engine import ChatEngine, Settings
from chemtune.chat.session import StopSignals, Turn, conversation, respond
from chemtune.errors import ChemtuneError
from tests.support.chat_models import QUESTION_KO, SYSTEM_KO, finished_train_run, random_lora

SHORT = Settings(max_new_tokens=10)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    home = tmp_path_factory.mktemp("chat-session") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(home))
        from chemtune import models

        tiny = models.build_tiny()
        yield tiny, random_lora(home / "lora", seed=11, base=str(tiny))


@pytest.fixture(scope="module")
def engine(built) -> ChatEngine:
    tiny, lora = built
    return ChatEngine().load(str(tiny), {"chem": str(lora)}, device="cpu")


def gradio_history() -> list[dict]:
    """What Gradio 6 hands a handler after one turn: structured content, extra keys, a tool note."""
    return [
        {"role": "user", "content": [{"type": "text", "text": "산과 염기의 차이는?"}], "metadata": None,
         "options": None},
        {"role": "assistant", "content": [{"type": "text", "text": "산은 양성자를 내놓습니다."}],
         "metadata": None, "options": None},
        {"role": "assistant", "content": "(thinking…)", "metadata": {"title": "tool"}},
    ]


def test_conversation_flattens_gradio_history_and_drops_notes() -> None:
    messages = conversation(SYSTEM_KO, gradio_history(), [{"type": "text", "text": QUESTION_KO}])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    from chemtune.chat.engine import clean_messages

    assert clean_messages(messages)[1:3] == [{"role": "user", "content": "산과 염기의 차이는?"},
                                             {"role": "assistant", "content": "산은 양성자를 내놓습니다."}]
    assert conversation("  ", [], "hi") == [{"role": "user", "content": "hi"}]


def test_respond_streams_a_turn_onto_a_gradio_history(engine: ChatEngine) -> None:
    turn = Turn(engine, "chem", SYSTEM_KO, SHORT)
    updates = list(respond(turn, QUESTION_KO, gradio_history()))
    history, base_history, answers = updates[-1]
    assert len(history) == 5 and base_history == []
    assert history[-2] == {"role": "user", "content": QUESTION_KO}
    expected = engine.generate(conversation(SYSTEM_KO, gradio_history(), QUESTION_KO), "chem", SHORT).text
    assert history[-1] == {"role": "assistant", "content": expected}
    assert [answer.who for answer in answers] == ["answer"]
    assert answers[0].reply.tokens == 10 and answers[0].reply.ttft_ms > 0
    from pages.chat import speeds

    line = speeds(answers, "en")
    assert "first token" in line and "tokens/s" in line and "10 tokens" in line
    assert updates[0][0][-1] == {"role": "assistant", "content": ""}  # the bubble appears before tokens


def test_compare_mode_answers_with_adapter_on_then_off(engine: ChatEngine) -> None:
    turn = Turn(engine, "chem", SYSTEM_KO, SHORT, compare_with=engine.base)
    history, base_history, answers = list(respond(turn, QUESTION_KO, [], []))[-1]
    messages = [{"role": "system", "content": SYSTEM_KO}, {"role": "user", "content": QUESTION_KO}]
    assert history[-1]["content"] == engine.generate(messages, "chem", SHORT).text
    assert base_history[-1]["content"] == engine.generate(messages, None, SHORT).text
    assert history[-1]["content"] != base_history[-1]["content"]
    assert [answer.who for answer in answers] == ["tuned", "base"]
    from pages.chat import speeds

    line = speeds(answers, "ko")
    assert "튜닝 모델" in line and "기본 모델" in line and "첫 토큰" in line and "초당" in line


def test_compare_mode_without_an_adapter_says_so(engine: ChatEngine) -> None:
    turn = Turn(engine, engine.base, "", SHORT, compare_with=engine.base)
    with pytest.raises(ChemtuneError, match="needs an adapter") as raised:
        list(respond(turn, "hi", []))
    assert raised.value.text("ko").startswith("비교 모드에는 어댑터가 필요합니다")


def test_stop_signal_ends_only_that_sessions_answer(engine: ChatEngine) -> None:
    signals = StopSignals()
    mine, theirs = signals.fresh("mine"), signals.fresh("theirs")
    turn = Turn(engine, "chem", "", Settings(max_new_tokens=400), stop_event=mine)
    answers = []
    for _, _, latest in respond(turn, "hi", []):
        signals.stop("mine")  # pressed as soon as the answer bubble appears
        answers = latest
    assert mine.is_set() and not theirs.is_set()
    assert answers[-1].reply.stopped and answers[-1].reply.tokens < 400
    history, _, answers = list(respond(Turn(engine, "chem", "", SHORT, stop_event=signals.fresh("mine")),
                                       "hi", []))[-1]
    assert not answers[-1].reply.stopped and history[-1]["content"]


def test_respond_redraws_at_most_every_redraw_s(engine: ChatEngine) -> None:
    every_token = list(respond(Turn(engine, "chem", "", SHORT), "hi", []))
    throttled = list(respond(Turn(engine, "chem", "", SHORT), "hi", [], redraw_s=math.inf))
    assert len(every_token) > len(throttled) == 4  # bubble, first token, last token, final
    assert throttled[-1][0] == every_token[-1][0]


def test_cli_chat_prompt_json_with_an_adapter_from_a_run(built, isolated_workspace: Path, capsys) -> None:
    from chemtune.chat import presets
    from chemtune.cli import main

    tiny, lora = built
    finished_train_run(isolated_workspace, "train-chem", lora, model=str(tiny))
    code = main(["chat", "--model", str(tiny), "--adapter", "train-chem", "--prompt", QUESTION_KO,
                 "--lang", "ko", "--max-new-tokens", "8", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["model"] == "train-chem" and result["tokens"] == 8
    assert result["text"] and result["ttft_ms"] > 0 and result["tokens_per_second"] > 0
    engine = ChatEngine().load(str(tiny), {"train-chem": str(lora)}, device="cpu")
    messages = [{"role": "system", "content": presets.system_prompt("chemist", "ko")},
                {"role": "user", "content": QUESTION_KO}]
    assert result["text"] == engine.generate(messages, "train-chem", Settings(max_new_tokens=8)).text


def test_cli_chat_reports_a_missing_adapter(built, capsys) -> None:
    from chemtune.cli import main

    tiny, _ = built
    assert main(["chat", "--model", str(tiny), "--adapter", "train-none", "--prompt", "hi"]) == 1
    assert "No run named 'train-none'" in capsys.readouterr().err


def test_interactive_chat_reports_a_too_long_message_and_goes_on(built, monkeypatch, capsys) -> None:
    import io

    from chemtune.cli import main

    tiny, _ = built
    too_long = "촉매 반응 " * 1500
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{too_long}\n산이란?\n/exit\n"))
    assert main(["chat", "--model", str(tiny), "--max-new-tokens", "4"]) == 0
    err = capsys.readouterr().err
    assert "error: The conversation is" in err and "Clear the history" in err
    # The failed message was dropped from the history, so the next question is answered.
    assert err.count("4 tokens · first token") == 1
