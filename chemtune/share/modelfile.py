"""An Ollama Modelfile for an exported GGUF: the prompt template the model was tuned with and the tokens
and strings that end its turn (chemtune.generation's rule), so `ollama create` gives the same turns.

The template is found by rendering the model's own prompt (chemtune.prompting: its chat template, or the
instruction template) around marker texts and cutting at the markers, then written with Ollama's
`.System`, `.Prompt` and `.Response` variables."""

from __future__ import annotations

from typing import Any

from chemtune import generation, prompting

SYSTEM_MARK, USER_MARK, ANSWER_MARK = "\x00SYSTEM\x00", "\x00USER\x00", "\x00ANSWER\x00"


def _quote(text: str) -> str:
    if '"""' in text:
        raise ValueError("a prompt piece contains three double quotes; Ollama cannot hold it in a Modelfile")
    return text


def template_pieces(tokenizer: Any) -> dict[str, str]:
    """prefix (no system), system_prefix, system_suffix, user_suffix (through the answer's start) and
    answer_suffix, cut from the model's own rendering."""
    plain = prompting.render_messages(tokenizer, [{"role": "user", "content": USER_MARK},
                                                  {"role": "assistant", "content": ANSWER_MARK}]).text
    prefix, rest = plain.split(USER_MARK, 1)
    user_suffix, answer_suffix = rest.split(ANSWER_MARK, 1)
    pieces = {"prefix": prefix, "user_suffix": user_suffix, "answer_suffix": answer_suffix,
              "system_prefix": prefix, "system_suffix": ""}
    with_system = prompting.render_messages(tokenizer, [{"role": "system", "content": SYSTEM_MARK},
                                                        {"role": "user", "content": USER_MARK}]).text
    if SYSTEM_MARK in with_system:
        before, after = with_system.split(SYSTEM_MARK, 1)
        pieces["system_prefix"], pieces["system_suffix"] = before, after.split(USER_MARK, 1)[0]
    bos = getattr(tokenizer, "bos_token", None)
    for key in ("prefix", "system_prefix"):  # the runtime adds BOS itself, as the GGUF says
        if bos and pieces[key].startswith(bos):
            pieces[key] = pieces[key][len(bos):]
    return pieces


def stop_words(model: Any, tokenizer: Any) -> list[str]:
    """What ends a turn: each end token's text, then the stop strings (instruction-template models)."""
    turn = generation.turn_end(model, tokenizer)
    tokens = [tokenizer.convert_ids_to_tokens(int(i)) for i in sorted(turn.token_ids)]
    return [t for t in dict.fromkeys(tokens) if t] + list(turn.stop_strings)


def modelfile(gguf_name: str, model: Any, tokenizer: Any, system: str | None = None) -> str:
    """The Modelfile text for `gguf_name` (a file beside it)."""
    p = template_pieces(tokenizer)
    template = ("{{ if .System }}" + p["system_prefix"] + "{{ .System }}" + p["system_suffix"]
                + "{{ else }}" + p["prefix"] + "{{ end }}{{ .Prompt }}" + p["user_suffix"]
                + "{{ .Response }}" + p["answer_suffix"])
    lines = [f"FROM ./{gguf_name}", "", f'TEMPLATE """{_quote(template)}"""', ""]
    for word in stop_words(model, tokenizer):
        lines.append("PARAMETER stop " + '"' + word.replace("\\", "\\\\").replace('"', '\\"')
                     .replace("\n", "\\n") + '"')
    lines.append("PARAMETER temperature 0")
    if system:
        lines += ["", f'SYSTEM """{_quote(system)}"""']
    return "\n".join(lines) + "\n"
