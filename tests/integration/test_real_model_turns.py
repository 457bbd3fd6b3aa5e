"""Real models answer and stop at the end of their turn: SmolLM2 (a chat model) answers a chemistry
question in English, and Gemma 3 270M (a base model, prompted with the instruction template) never writes
the next turn's header, in the chat engine, through `serve` and the `openai` client, and in generative
evaluation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from chemtune import generation, prompting
from chemtune.chat import presets
from chemtune.chat.engine import ChatEngine, Settings
from tests.support.chat_models import ServerThread

pytestmark = [pytest.mark.real, pytest.mark.slow]

WATER = [{"role": "user", "content": "What is the chemical formula of water?"}]
# The Chat tab's default system prompt; Gemma 3 base answers it in one line, then starts a new instruction.
CHEMIST_WATER = [{"role": "system", "content": presets.system_prompt("chemist", "en")}, *WATER]
HEADERS = ("### Instruction", "### Response")
MAX_NEW = 48


def assert_english(text: str) -> None:
    words = re.findall(r"[A-Za-z]+", text)
    assert len(words) >= 3 and {"is", "the", "of", "a"} & {w.lower() for w in words}, text
    assert sum(ch.isascii() for ch in text) / len(text) > 0.95, text


def assert_one_turn(text: str) -> None:
    assert text.strip(), "empty answer"
    assert not any(header in text for header in HEADERS), text
    assert "#" not in text, text  # not even the start of a header


@pytest.fixture(scope="module")
def smol(smollm2) -> ChatEngine:
    return ChatEngine().load(str(smollm2), device="cpu")


@pytest.fixture(scope="module")
def gemma(gemma3) -> ChatEngine:
    return ChatEngine().load(str(gemma3), device="cpu")


def serving(engine: ChatEngine) -> Iterator[object]:
    from openai import OpenAI

    from chemtune.chat.server import create_app
    from tests.conftest import _free_port

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")  # the openai client must not use a proxy for it
        with ServerThread(create_app(engine, default_max_tokens=MAX_NEW), _free_port()) as running:
            yield OpenAI(base_url=running.url, api_key="unused", max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def smol_client(smol: ChatEngine) -> Iterator[object]:
    yield from serving(smol)


@pytest.fixture(scope="module")
def gemma_client(gemma: ChatEngine) -> Iterator[object]:
    yield from serving(gemma)


def streamed(stream) -> tuple[str, list]:
    pieces, finishes = [], []
    for chunk in stream:
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finishes.append(choice.finish_reason)
    return "".join(pieces), finishes


# ---- SmolLM2-135M-Instruct: a chat model answers in English --------------------------------------------
def test_smollm2_chat_engine_answers_the_formula_of_water(smol: ChatEngine) -> None:
    reply = smol.generate(WATER, None, Settings(max_new_tokens=16))
    assert "H2O" in reply.text
    assert_english(reply.text)


def test_smollm2_served_answer_names_h2o_streamed_and_whole(smol_client, smol: ChatEngine) -> None:
    whole = smol_client.chat.completions.create(model=smol.base, messages=WATER, max_tokens=16)
    text = whole.choices[0].message.content
    assert "H2O" in text
    assert_english(text)
    joined, finishes = streamed(smol_client.chat.completions.create(
        model=smol.base, messages=WATER, max_tokens=16, stream=True))
    assert joined == text and finishes[-1] == whole.choices[0].finish_reason


# ---- Gemma 3 270M base: the answer ends before the next turn's header ----------------------------------
@pytest.mark.long
def test_gemma3_chat_answer_stops_before_the_next_instruction(gemma: ChatEngine) -> None:
    pieces, reply = [], None
    for piece, latest in gemma.stream(CHEMIST_WATER, None, Settings(max_new_tokens=MAX_NEW)):
        pieces.append(piece)
        reply = latest
    assert_one_turn(reply.text)
    assert "".join(pieces) == reply.text  # nothing streamed was taken back, no partial header either
    assert reply.finish_reason == "stop" and reply.tokens < MAX_NEW // 2
    assert "water" in reply.text.lower()


@pytest.mark.long
def test_gemma3_served_answer_stops_before_the_next_instruction(gemma_client, gemma: ChatEngine) -> None:
    whole = gemma_client.chat.completions.create(model=gemma.base, messages=CHEMIST_WATER,
                                                 max_tokens=MAX_NEW)
    text = whole.choices[0].message.content
    assert_one_turn(text)
    assert whole.choices[0].finish_reason == "stop" and whole.usage.completion_tokens < MAX_NEW // 2
    joined, finishes = streamed(gemma_client.chat.completions.create(
        model=gemma.base, messages=CHEMIST_WATER, max_tokens=MAX_NEW, stream=True))
    assert joined == text and finishes[-1] == "stop"


@pytest.mark.long
def test_gemma3_generative_evaluation_answer_ends_with_its_turn(gemma: ChatEngine) -> None:
    from chemtune.evaluate.benchmarks import load_exam
    from chemtune.evaluate.extract import extract_answer
    from chemtune.evaluate.prompts import messages_for
    from chemtune.evaluate.scoring import generate_greedy

    questions = load_exam("sample").questions
    question = questions[1]  # one-shot: the first question and its answer come before it
    messages = messages_for(question, [questions[0]], "generate")
    ids = prompting.tokenize_prompt(gemma.tokenizer, prompting.render_messages(gemma.tokenizer, messages))
    steps = []  # one forward pass per generated token
    hook = gemma.model.register_forward_hook(lambda *_: steps.append(1))
    try:
        [raw] = generate_greedy(gemma.model, gemma.tokenizer, [ids], max_new_tokens=MAX_NEW)
    finally:
        hook.remove()
    assert_one_turn(raw)
    assert len(steps) < MAX_NEW // 2  # stopped at the header, not at max_new_tokens
    assert extract_answer(raw, question.choices) in question.letters


@pytest.mark.long
def test_gemma_style_template_without_a_system_role_chats_with_the_system_prompt(
        gemma: ChatEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.templates import GEMMA2_CHAT_TEMPLATE

    monkeypatch.setattr(gemma.tokenizer, "chat_template", GEMMA2_CHAT_TEMPLATE)
    reply = gemma.generate(CHEMIST_WATER, None, Settings(max_new_tokens=4))
    folded = prompting.render_messages(gemma.tokenizer, CHEMIST_WATER)
    assert folded.prompt.startswith(f"<bos><start_of_turn>user\n{CHEMIST_WATER[0]['content']}\n\n")
    assert reply.prompt_tokens == len(prompting.tokenize_prompt(gemma.tokenizer, folded))
    assert reply.tokens >= 1
    # The template's end-of-turn token ends an answer, beside the tokenizer's <eos>.
    turn = generation.turn_end(gemma.model, gemma.tokenizer)
    end_of_turn = gemma.tokenizer.convert_tokens_to_ids("<end_of_turn>")
    assert turn.token_ids >= {gemma.tokenizer.eos_token_id, end_of_turn}
