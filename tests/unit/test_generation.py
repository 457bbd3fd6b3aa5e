"""What ends a turn: every end token a model declares, and the instruction template's headers as stop
strings; the chat engine and generative evaluation both stop there."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from chemtune import generation, prompting
from chemtune.chat.engine import ChatEngine, Settings
from chemtune.evaluate.scoring import generate_greedy
from tests.support.chat_models import QUESTION_KO, SYSTEM_KO, random_lora

MESSAGES = [{"role": "system", "content": SYSTEM_KO}, {"role": "user", "content": QUESTION_KO}]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The tiny model and a random LoRA adapter (the bare tiny model repeats one token)."""
    home = tmp_path_factory.mktemp("generation") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(home))
        from chemtune import models

        tiny = str(models.build_tiny())
        yield tiny, str(random_lora(home / "lora", seed=1, base=tiny))


@pytest.fixture
def engine(built: tuple[str, str]) -> ChatEngine:
    tiny, lora = built
    engine = ChatEngine().load(tiny, {"chem": lora}, device="cpu")
    engine.model.set_adapter("chem")
    return engine


def test_turn_end_unites_generation_config_tokenizer_and_template_end_tokens(engine: ChatEngine) -> None:
    tokenizer = engine.tokenizer
    engine.model.generation_config.eos_token_id = [5, 9]
    turn = generation.turn_end(engine.model, tokenizer)
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert generation.template_end_token_id(tokenizer) == im_end
    assert turn.token_ids == {5, 9, tokenizer.eos_token_id, im_end}
    assert turn.stop_strings == ()  # a chat template marks the turn's end with its token alone


def test_instruction_template_headers_are_stop_strings_without_a_chat_template(engine: ChatEngine) -> None:
    plain = copy.deepcopy(engine.tokenizer)
    plain.chat_template = None
    turn = generation.turn_end(engine.model, plain)
    assert generation.template_end_token_id(plain) is None
    assert "### Instruction:" in turn.stop_strings and "### Response:" in turn.stop_strings
    prompt = prompting.build_prompt(plain, None, "What is the formula of water?").prompt
    # Whatever the model writes after its answer, starting at the next turn, is cut with the blank lines.
    answer = "H2O.\n\n### Instruction:\nWhat is the formula of ammonia?\n\n### Response:\nNH3"
    assert turn.cut(answer) == "H2O."
    assert turn.cut("### Response:\nH2O") == ""
    assert turn.cut("Water is H2O.\n") == "Water is H2O.\n"
    assert (prompt + answer).count("### Instruction:") == 2 and turn.find(answer, since=5) == 6
    assert turn.holdback == len("### Instruction:") - 1


def greedy_ids(engine: ChatEngine, n: int) -> list[int]:
    """The tokens the model writes greedily, ended by nothing but the length."""
    import torch

    prompt = engine.prompt_ids(MESSAGES, Settings(max_new_tokens=n))
    ids = torch.tensor([prompt])
    out = engine.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                                min_new_tokens=n, do_sample=False, pad_token_id=engine.tokenizer.pad_token_id)
    return out[0, len(prompt):].tolist()


def declare_end_token(engine: ChatEngine, new: list[int]) -> int:
    """Declare a token the model writes a few tokens in as an end token in its generation config (as
    Gemma-it's config lists <end_of_turn>); returns how many tokens the answer then has."""
    at = next(k for k in range(3, len(new)) if new[k] not in new[:k])
    engine.model.generation_config.eos_token_id = [engine.tokenizer.eos_token_id, new[at]]
    return at + 1


def test_chat_stops_on_an_end_token_only_the_generation_config_declares(engine: ChatEngine) -> None:
    free = engine.generate(MESSAGES, "chem", Settings(max_new_tokens=12))
    new = greedy_ids(engine, 12)
    length = declare_end_token(engine, new)
    reply = engine.generate(MESSAGES, "chem", Settings(max_new_tokens=12))
    assert reply.tokens == length < 12
    assert reply.finish_reason == "stop" and not reply.stopped
    # The end token itself adds no text, though this one is an ordinary token.
    assert reply.text == engine.tokenizer.decode(new[: length - 1], skip_special_tokens=True)
    assert free.text.startswith(reply.text) and len(reply.text) < len(free.text)


def test_generative_evaluation_stops_on_an_end_token_only_the_generation_config_declares(
        engine: ChatEngine) -> None:
    model, tokenizer = engine.model, engine.tokenizer
    prompt = engine.prompt_ids(MESSAGES, Settings())
    free = generate_greedy(model, tokenizer, [prompt], max_new_tokens=12)[0]
    new = greedy_ids(engine, 12)
    length = declare_end_token(engine, new)
    cut = generate_greedy(model, tokenizer, [prompt], max_new_tokens=12)[0]
    assert cut == tokenizer.decode(new[: length - 1], skip_special_tokens=True).strip()
    assert free.startswith(cut) and len(cut) < len(free)
