"""The chat engine on the tiny model: adapters switched in place, compare without a second copy, streaming,
stop, greedy repeatability, unload; adapter lookup by run id; presets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chemtune.chat.engine import ChatEngine, Settings, clean_messages
from chemtune.errors import ChemtuneError
from tests.support.chat_models import QUESTION_KO, SYSTEM_KO, finished_train_run, misfit_lora, random_lora

MESSAGES = [{"role": "system", "content": SYSTEM_KO}, {"role": "user", "content": QUESTION_KO}]
SHORT = Settings(max_new_tokens=12)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The tiny model and two random LoRA adapters, built once in a module home."""
    home = tmp_path_factory.mktemp("chat-engine") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(home))
        from chemtune import models

        tiny = models.build_tiny()
        yield tiny, random_lora(home / "lora-a", seed=1), random_lora(home / "lora-b", seed=2)


@pytest.fixture(scope="module")
def engine(built) -> ChatEngine:
    tiny, lora_a, lora_b = built
    return ChatEngine().load(str(tiny), {"a": str(lora_a)}, device="cpu")


def test_adapters_switch_on_one_resident_base_model(engine: ChatEngine, built) -> None:
    tiny, _, lora_b = built
    base_weight = engine.model.get_base_model().model.embed_tokens.weight
    base = engine.generate(MESSAGES, None, SHORT).text
    tuned_a = engine.generate(MESSAGES, "a", SHORT).text
    engine.add_adapter("b", lora_b)
    tuned_b = engine.generate(MESSAGES, "b", SHORT).text
    assert len({base, tuned_a, tuned_b}) == 3  # each adapter changes the answer
    # Same base weights object: the base model was not reloaded or copied.
    assert engine.model.get_base_model().model.embed_tokens.weight is base_weight
    assert engine.model_names() == [str(tiny), "a", "b"]
    # Compare mode's base answer (adapters disabled) is the plain base model's answer.
    assert engine.generate(MESSAGES, str(tiny), SHORT).text == base
    plain = ChatEngine().load(str(tiny), device="cpu")
    assert plain.generate(MESSAGES, None, SHORT).text == base


def test_greedy_answers_repeat_and_streaming_joins_to_the_same_text(engine: ChatEngine) -> None:
    pieces, reply = [], None
    for piece, latest in engine.stream(MESSAGES, "a", SHORT):
        pieces.append(piece)
        reply = latest
    assert "".join(pieces) == reply.text == engine.generate(MESSAGES, "a", SHORT).text
    assert reply.tokens == 12 and reply.finish_reason == "length"
    assert reply.prompt_tokens == engine.count_tokens(MESSAGES)
    assert reply.ttft_ms > 0 and reply.tokens_per_second > 0


def test_gradio_structured_content_gives_the_same_answer_as_plain_text(engine: ChatEngine) -> None:
    structured = [
        {"role": "system", "content": [{"type": "text", "text": SYSTEM_KO}]},
        {"role": "user", "content": [{"type": "text", "text": QUESTION_KO[:10]},
                                     {"type": "text", "text": QUESTION_KO[10:]}], "metadata": None},
    ]
    assert clean_messages(structured) == MESSAGES
    assert engine.generate(structured, "a", SHORT).text == engine.generate(MESSAGES, "a", SHORT).text


def test_sampling_follows_the_seed_and_differs_from_greedy(engine: ChatEngine) -> None:
    sampled = Settings(max_new_tokens=12, temperature=1.5, top_p=0.95, seed=3)
    first, second = engine.generate(MESSAGES, None, sampled), engine.generate(MESSAGES, None, sampled)
    assert first.text == second.text
    assert first.text != engine.generate(MESSAGES, None, SHORT).text


def test_stop_event_ends_generation_between_tokens(engine: ChatEngine) -> None:
    stop = threading.Event()
    reply = None
    for _, reply in engine.stream(MESSAGES, "a", Settings(max_new_tokens=500), stop_event=stop):
        if reply.tokens >= 3:
            stop.set()
    assert reply.stopped and reply.finish_reason == "stop"
    assert reply.tokens < 20


def test_stop_strings_cut_the_answer(engine: ChatEngine) -> None:
    full = engine.generate(MESSAGES, None, SHORT).text
    cut = engine.generate(MESSAGES, None, Settings(max_new_tokens=12, stop=(full[3:5],))).text
    assert cut == full[:full.index(full[3:5])]


def test_streamed_text_never_shows_part_of_a_stop_string(engine: ChatEngine) -> None:
    full = engine.generate(MESSAGES, None, SHORT).text
    for stop in (full[3:9], full[-4:]):  # spanning several streamed pieces, and at the very end
        streamed = list(engine.stream(MESSAGES, None, Settings(max_new_tokens=12, stop=(stop,))))
        final = streamed[-1][1]
        assert "".join(piece for piece, _ in streamed) == final.text == full[:full.index(stop)]


def test_a_second_generation_waits_for_the_first(engine: ChatEngine) -> None:
    order = []

    def run(name: str) -> None:
        engine.generate(MESSAGES, None, Settings(max_new_tokens=30))
        order.append(name)

    stop = threading.Event()
    first = engine.stream(MESSAGES, None, Settings(max_new_tokens=2000), stop_event=stop)
    next(first)  # the first generation holds the model now
    other = threading.Thread(target=run, args=("second",))
    other.start()
    other.join(timeout=0.3)
    assert other.is_alive()  # blocked on the lock
    stop.set()
    *_, (_, reply) = first
    order.append("first")
    assert reply.stopped
    other.join(timeout=30)
    assert order == ["first", "second"]


@pytest.mark.parametrize("messages, problem", [
    ([], "empty"),
    ([{"role": "robot", "content": "hi"}], "role 'robot'"),
    ([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "last message"),
])
def test_bad_conversations_are_explained(messages: list, problem: str) -> None:
    with pytest.raises(ChemtuneError, match=problem):
        clean_messages(messages)


def test_unknown_adapter_and_bad_settings_are_explained(engine: ChatEngine) -> None:
    with pytest.raises(ChemtuneError, match="Unknown model 'zzz'"):
        engine.generate(MESSAGES, "zzz", SHORT)
    with pytest.raises(ChemtuneError, match="top-p"):
        engine.generate(MESSAGES, None, Settings(top_p=0))


def test_unload_drops_the_model(built) -> None:
    import gc
    import weakref

    tiny, lora_a, _ = built
    engine = ChatEngine().load(str(tiny), {"a": str(lora_a)}, device="cpu")
    ref = weakref.ref(engine.model)
    engine.unload()
    gc.collect()
    assert ref() is None and not engine.loaded and engine.model_names() == []
    with pytest.raises(ChemtuneError, match="No model is loaded"):
        engine.generate(MESSAGES)


def test_adapter_resolves_from_a_train_run_id(built, isolated_workspace: Path) -> None:
    from chemtune.chat.adapters import resolve_adapter, trained_adapters

    tiny, lora_a, _ = built
    finished_train_run(isolated_workspace, "train-recorded", lora_a)
    fallback = finished_train_run(isolated_workspace, "train-fallback", None)
    random_lora(fallback / "adapter", seed=5, base=str(tiny))
    finished_train_run(isolated_workspace, "train-nothing", None)
    assert resolve_adapter("train-recorded") == ("train-recorded", lora_a)
    assert resolve_adapter("mine=train-fallback") == ("mine", fallback / "adapter")
    assert resolve_adapter(f"x={lora_a}") == ("x", lora_a.resolve())
    with pytest.raises(ChemtuneError, match="no saved adapter"):
        resolve_adapter("train-nothing")
    with pytest.raises(ChemtuneError, match="No run named"):
        resolve_adapter("train-missing")
    assert {row["run_id"] for row in trained_adapters()} == {"train-recorded", "train-fallback"}


def test_presets_cover_every_task_in_both_languages() -> None:
    from chemtune.chat import presets

    tasks = {"summarize_extract", "summarize_translate", "extract_catalyst", "extract_property",
             "exam_explain", "keywords", "qa"}
    assert set(presets.EXAMPLES) == tasks == set(presets.TASK_LABELS)
    for task in tasks:
        assert any("\uac00" <= ch <= "\ud7a3" for ch in presets.EXAMPLES[task]["ko"])  # Hangul
        assert not any("\uac00" <= ch <= "\ud7a3" for ch in presets.EXAMPLES[task]["en"])
    assert "화학" in presets.system_prompt("chemist", "ko")
    assert "chemistry" in presets.system_prompt("chemist", "en")


def test_only_finished_runs_are_offered_as_adapters_in_chat_and_evaluate(built, isolated_workspace) -> None:
    from chemtune import workspace
    from chemtune.chat.adapters import trained_adapters
    from chemtune.evaluate.browse import adapter_choices

    _, lora_a, _ = built
    finished_train_run(isolated_workspace, "train-done", lora_a)
    aborted = finished_train_run(isolated_workspace, "train-aborted", lora_a)
    workspace.write_json(aborted / "status.json", {**workspace.read_json(aborted / "status.json"),
                                                   "status": "aborted"})
    assert [row["run_id"] for row in trained_adapters()] == ["train-done"]
    assert adapter_choices() == [("train-done (base tiny)", "train-done")]


def test_the_model_served_under_v1_cannot_be_swapped_or_unloaded_from_the_tab(built) -> None:
    tiny, lora_a, _ = built
    served = ChatEngine().load(str(tiny), {"a": str(lora_a)}, device="cpu")
    served.pinned = str(tiny)
    with pytest.raises(ChemtuneError, match="serves"):
        served.load(str(lora_a))  # any other base model
    with pytest.raises(ChemtuneError, match="stays loaded"):
        served.unload()
    assert served.loaded and served.adapters == {"a": str(lora_a.resolve())}
    served.load(str(tiny))  # the same model is fine


@pytest.mark.parametrize("with_adapter", [False, True])
@pytest.mark.parametrize("checked", [True, False])
def test_an_adapter_for_another_base_model_fails_clearly_and_leaves_the_engine_working(
        built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_adapter: bool, checked: bool) -> None:
    from chemtune import models

    tiny, lora_a, lora_b = built
    misfit = misfit_lora(tmp_path / "misfit", base=str(tiny))
    engine = ChatEngine().load(str(tiny), {"a": str(lora_a)} if with_adapter else {}, device="cpu")
    base = engine.generate(MESSAGES, None, SHORT).text
    tuned_a = engine.generate(MESSAGES, "a", SHORT).text if with_adapter else None
    if not checked:  # PEFT itself fails after rewiring the model: that must be undone too
        monkeypatch.setattr(models, "check_adapter_fits", lambda model, path: None)
    with pytest.raises(ChemtuneError, match=f"'bad'.*{tiny.name}.*{misfit.name}") as caught:
        engine.add_adapter("bad", misfit)
    assert ("does not fit" if checked else "size mismatch") in str(caught.value)
    monkeypatch.undo()
    assert engine.model_names() == [str(tiny), *(["a"] if with_adapter else [])]
    assert engine.generate(MESSAGES, None, SHORT).text == base
    if with_adapter:
        assert engine.generate(MESSAGES, "a", SHORT).text == tuned_a
    engine.add_adapter("b", lora_b)  # a good adapter still loads, and the base model still answers
    assert engine.generate(MESSAGES, "b", SHORT).text != base
    assert engine.generate(MESSAGES, None, SHORT).text == base


def test_a_run_adapter_folder_is_named_after_its_run_and_a_served_adapter_is_not_replaced(
        built, isolated_workspace: Path) -> None:
    from chemtune.chat.adapters import resolve_adapter

    tiny, lora_a, lora_b = built
    first, second = (finished_train_run(isolated_workspace, run, None) for run in ("train-one", "train-two"))
    random_lora(first / "adapter", seed=5, base=str(tiny))
    random_lora(second / "adapter", seed=6, base=str(tiny))
    assert resolve_adapter(str(first / "adapter"))[0] == "train-one"
    assert resolve_adapter(str(second / "adapter"))[0] == "train-two"
    assert resolve_adapter(str(lora_a))[0] == "lora-a"  # a folder outside a run keeps its own name

    served = ChatEngine().load(str(tiny), {"chem": str(lora_a)}, device="cpu")
    served.pinned, served.pinned_adapters = str(tiny), {"chem"}
    answer = served.generate(MESSAGES, "chem", SHORT).text
    with pytest.raises(ChemtuneError, match="'chem' is served under /v1"):
        served.add_adapter("chem", lora_b)
    assert served.generate(MESSAGES, "chem", SHORT).text == answer
    served.add_adapter("other", lora_b)  # under another name it loads beside it
    assert served.model_names() == [str(tiny), "chem", "other"]


def test_prompt_and_new_tokens_must_fit_the_context_unless_the_chat_shortens_the_answer(
        engine: ChatEngine) -> None:
    from chemtune.chat.engine import PromptTooLong

    nearly_full = [{"role": "user", "content": "촉매 반응 " * 1000}]
    prompt = engine.count_tokens(nearly_full)
    limit = engine.model.config.max_position_embeddings
    assert limit - 100 < prompt < limit
    with pytest.raises(PromptTooLong, match=f"at most {limit - prompt} new tokens"):
        engine.generate(nearly_full, None, Settings(max_new_tokens=500))
    reply = engine.generate(nearly_full, None, Settings(max_new_tokens=500, fit_context=True))
    assert reply.tokens <= limit - prompt
