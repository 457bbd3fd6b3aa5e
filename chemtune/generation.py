"""What ends a model's turn: the one rule chat, serve and generative evaluation stop by.

A turn ends on any end token the model declares: the ids in its generation config (Gemma-it and Llama-3
style models list several), the tokenizer's eos and the end-of-turn token its chat template writes after an
answer. Passing only the tokenizer's eos to `generate` would replace that list with one id.

Without a chat template chemtune prompts with its instruction template, and a base model prompted that way
does not stop by itself: it writes the next `### Instruction:` and answers its own question. The template's
section headers can never be part of an answer, so they are stop strings; the text is cut where the first
one begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chemtune import prompting

_ANSWER_MARK = "chemtune-answer-end-probe"


@dataclass(frozen=True)
class TurnEnd:
    """The token ids and strings that end an answer."""

    token_ids: frozenset[int]
    stop_strings: tuple[str, ...] = ()

    def find(self, text: str, since: int = 0) -> int | None:
        """Where the earliest stop string that ends after `since` begins in `text`, if any."""
        return find_stop(text, self.stop_strings, since)

    def cut(self, text: str) -> str:
        """`text` up to the first stop string (and without the blank lines before it)."""
        at = self.find(text)
        return text if at is None else text[:at].rstrip()

    def answer(self, tokenizer: Any, new_ids: list[int]) -> str:
        """The answer text of generated tokens: up to the first end token, then up to a stop string."""
        end = next((i for i, token in enumerate(new_ids) if token in self.token_ids), len(new_ids))
        return self.cut(tokenizer.decode(new_ids[:end], skip_special_tokens=True))

    @property
    def holdback(self) -> int:
        """How many trailing characters of a stream may still become a stop string."""
        return max((len(s) for s in self.stop_strings), default=1) - 1


def turn_end(model: Any, tokenizer: Any) -> TurnEnd:
    """The end of a turn for this model and tokenizer."""
    ids: set[int] = set()
    _add_ids(ids, getattr(getattr(model, "generation_config", None), "eos_token_id", None))
    _add_ids(ids, getattr(tokenizer, "eos_token_id", None))
    _add_ids(ids, template_end_token_id(tokenizer))
    stops = () if prompting.has_chat_template(tokenizer) else prompting.SECTION_HEADERS
    return TurnEnd(frozenset(ids), stops)


def template_end_token_id(tokenizer: Any) -> int | None:
    """The special token the chat template writes right after an answer (`<|im_end|>`, `<end_of_turn>`,
    `<|eot_id|>`), or None without a template or when plain text follows the answer."""
    if not prompting.has_chat_template(tokenizer):
        return None
    try:
        exchange = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": _ANSWER_MARK}]
        text = prompting.render_messages(tokenizer, exchange).text
    except Exception:  # a template that cannot render this short exchange declares no end token here
        return None
    at = text.rfind(_ANSWER_MARK)
    after = text[at + len(_ANSWER_MARK):].lstrip() if at >= 0 else ""
    if not after:
        return None
    ids = tokenizer(after, add_special_tokens=False)["input_ids"]
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    if ids and (ids[0] in set(getattr(tokenizer, "all_special_ids", []) or [])
                or getattr(added.get(ids[0]), "special", False)):
        return int(ids[0])
    return None


def generate_kwargs(turn: TurnEnd, tokenizer: Any, prompt_width: int) -> dict:
    """The `model.generate` arguments that stop at the turn's end (prompts `prompt_width` tokens wide)."""
    kwargs: dict[str, Any] = {"eos_token_id": sorted(turn.token_ids) or None}
    if turn.stop_strings:
        kwargs["stopping_criteria"] = stop_string_criteria(turn, tokenizer, prompt_width)
    return kwargs


def stop_string_criteria(turn: TurnEnd, tokenizer: Any, prompt_width: int) -> Any:
    """Stopping criteria that end each row of a batch once its new text holds a stop string."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    # A token decodes to at least one character of an ASCII header, so a stop string that the newest token
    # completes lies within this many last tokens.
    window = max(len(s) for s in turn.stop_strings) + 2

    class StopOnStrings(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            rows = input_ids[:, prompt_width:][:, -window:].tolist()
            done = [turn.find(tokenizer.decode(row, skip_special_tokens=True)) is not None for row in rows]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([StopOnStrings()])


def find_stop(text: str, stops: tuple[str, ...], since: int = 0) -> int | None:
    """Where the earliest of `stops` that ends after `since` begins in `text`, if any."""
    found = None
    for stop in stops:
        if not stop:
            continue
        at = text.find(stop, max(0, since - len(stop) + 1))
        if at >= 0 and (found is None or at < found):
            found = at
    return found


def _add_ids(ids: set[int], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        ids.update(int(v) for v in value if v is not None)
    else:
        ids.add(int(value))
