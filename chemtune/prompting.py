"""THE one place that turns (system, instruction, input[, output]) into model text.

Training, generative evaluation, chat and serving all call these functions, so a tuned model is always
spoken to the way it was taught.

With a tokenizer that has a chat template, the record becomes messages: an optional system message, one
user message (the instruction, then a blank line and the input when there is one) and, for training, the
assistant message holding the output; the template renders them. A template that refuses the system role
(Gemma 1 and 2 raise "System role not supported") gets the system prompt at the top of the first user
message instead, followed by a blank line.

Without a chat template, chemtune uses this instruction template (Alpaca-style). A record with a system
prompt and an input renders exactly as::

    {bos_token}{system}

    ### Instruction:
    {instruction}

    {input}

    ### Response:
    {output}{eos_token}

The input stays inside the instruction section, after a blank line, just as it follows the instruction in
the user message of a chat template: chat and serving only have a message's content, so a model is asked
the same way there as in training. Without a system prompt, `{system}` and the blank line after it are left
out; without an input, `{input}` and the blank line after it. A prompt for generation ends after
`### Response:` and its newline. A conversation repeats the Instruction/Response pair per turn, each earlier
answer followed by `{eos_token}` and a blank line. A model stops at the end of its answer, and where it
writes one of the template's section headers instead (see `chemtune.generation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INSTRUCTION_HEADER = "### Instruction:\n"
RESPONSE_HEADER = "### Response:\n"
# Section headers of the instruction template, and Alpaca's "### Input:" that base models continue with:
# never part of an answer, so generation stops where a model writes one.
SECTION_HEADERS = ("### Instruction:", "### Input:", "### Response:")


@dataclass(frozen=True)
class Prompt:
    """Rendered model text and where the response begins in it (a character offset)."""

    text: str
    response_start: int

    @property
    def prompt(self) -> str:
        """The text up to the response: what to feed the model for generation."""
        return self.text[: self.response_start]

    @property
    def response(self) -> str:
        return self.text[self.response_start:]


def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def user_content(instruction: str, input: str = "") -> str:
    """The user's turn: the instruction, then the input after a blank line when there is one."""
    instruction, input = (instruction or "").strip(), (input or "").strip()
    return f"{instruction}\n\n{input}" if input else instruction


def record_messages(system: str | None, instruction: str, input: str = "",
                    output: str | None = None) -> list[dict]:
    messages = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": user_content(instruction, input)})
    if output is not None:
        messages.append({"role": "assistant", "content": output})
    return messages


def build_prompt(tokenizer: Any, system: str | None, instruction: str, input: str = "",
                 output: str | None = None) -> Prompt:
    """Render one instruction record; with `output` the text ends with it (and the end-of-turn token)."""
    return render_messages(tokenizer, record_messages(system, instruction, input, output))


def render_messages(tokenizer: Any, messages: list[dict]) -> Prompt:
    """Render a conversation. If it ends with an assistant turn, that turn is the response; otherwise the
    text ends with the generation prompt and the response starts at its end."""
    messages = [{"role": m["role"], "content": flatten_content(m.get("content"))} for m in messages]
    answer = messages[-1]["content"] if messages and messages[-1]["role"] == "assistant" else None
    context = messages[:-1] if answer is not None else messages
    if has_chat_template(tokenizer):
        return _render_with_template(tokenizer, context, answer)
    return _render_with_instruction_template(tokenizer, context, answer)


def _render_with_template(tokenizer: Any, context: list[dict], answer: str | None) -> Prompt:
    from jinja2 import TemplateError

    try:
        return _apply_template(tokenizer, context, answer)
    except TemplateError:
        # Tried rather than guessed from the model's name: a template that refuses the system role gets
        # the system prompt inside the first user turn, the same in training, evaluation, chat and serving.
        if not any(m["role"] == "system" for m in context):
            raise
        return _apply_template(tokenizer, fold_system(context), answer)


def fold_system(messages: list[dict]) -> list[dict]:
    """The conversation without system messages: their text opens the first user message, followed by a
    blank line."""
    parts = [m["content"].strip() for m in messages if m["role"] == "system"]
    system = "\n\n".join(part for part in parts if part)
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if not system:
        return rest
    first_user = next((m for m in rest if m["role"] == "user"), None)
    if first_user is None:
        return [{"role": "user", "content": system}, *rest]
    first_user["content"] = f"{system}\n\n{first_user['content']}" if first_user["content"] else system
    return rest


def _apply_template(tokenizer: Any, context: list[dict], answer: str | None) -> Prompt:
    prompt = tokenizer.apply_chat_template(context, tokenize=False, add_generation_prompt=True)
    if answer is None:
        return Prompt(prompt, len(prompt))
    full = tokenizer.apply_chat_template(
        context + [{"role": "assistant", "content": answer}], tokenize=False, add_generation_prompt=False)
    if full.startswith(prompt):
        return Prompt(full, len(prompt))
    # Some templates render the generation prompt differently from a finished turn; the response then
    # starts where the answer text does, searching after the last user message.
    start = full.rfind(answer)
    if start < 0:
        raise ValueError("the chat template dropped the assistant message; cannot locate the response")
    return Prompt(full, start)


def _render_with_instruction_template(tokenizer: Any, context: list[dict], answer: str | None) -> Prompt:
    eos = getattr(tokenizer, "eos_token", None) or ""
    bos = getattr(tokenizer, "bos_token", None) or ""
    parts = [bos]
    system = [m["content"] for m in context if m["role"] == "system"]
    if system:
        parts.append("\n".join(system).strip() + "\n\n")
    turns = [m for m in context if m["role"] != "system"]
    for message in turns:
        if message["role"] == "user":
            parts.append(INSTRUCTION_HEADER + message["content"].strip() + "\n\n" + RESPONSE_HEADER)
        else:  # an earlier assistant turn
            parts.append(message["content"].strip() + eos + "\n\n")
    prompt = "".join(parts)
    if answer is None:
        return Prompt(prompt, len(prompt))
    return Prompt(prompt + answer + eos, len(prompt))


def flatten_content(content: Any) -> str:
    """Message content as plain text: strings pass; structured parts (Gradio, OpenAI) are joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        if content.get("type") in (None, "text") and "text" in content:
            return str(content["text"])
        if "content" in content:
            return flatten_content(content["content"])
        return ""
    if isinstance(content, (list, tuple)):
        return "".join(flatten_content(part) for part in content)
    return str(content)


def tokenize_for_training(tokenizer: Any, prompt: Prompt, max_length: int | None = None) -> dict:
    """Token ids and labels for one example; labels are -100 on every prompt token (loss on the response
    only). Returns {"input_ids", "labels", "truncated"}."""
    # The rendered text already holds any BOS/EOS the template wants, so no special tokens are added.
    encoded = tokenizer(prompt.text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    labels = [
        token if start >= prompt.response_start or end > prompt.response_start else -100
        for token, (start, end) in zip(ids, encoded["offset_mapping"], strict=True)
    ]
    truncated = bool(max_length and len(ids) > max_length)
    if truncated:
        ids, labels = ids[:max_length], labels[:max_length]
    return {"input_ids": ids, "labels": labels, "truncated": truncated}


def tokenize_prompt(tokenizer: Any, prompt: Prompt) -> list[int]:
    """Token ids of the prompt part, for generation."""
    return list(tokenizer(prompt.prompt, add_special_tokens=False)["input_ids"])
