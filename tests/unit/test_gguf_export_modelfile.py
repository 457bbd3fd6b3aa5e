"""The Ollama Modelfile's template and stop words, cut from the model's own prompt rendering."""

from __future__ import annotations

from types import SimpleNamespace

from chemtune import models, prompting
from chemtune.share.modelfile import modelfile, template_pieces


def test_chat_template_model_gets_its_turns_and_end_token() -> None:
    tokenizer = models.load_tokenizer("tiny")
    text = modelfile("m.gguf", SimpleNamespace(generation_config=None), tokenizer, system="화학 전문가")
    assert text.splitlines()[0] == "FROM ./m.gguf"
    assert '{{ else }}<|im_start|>user\n{{ end }}{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n' in text
    assert 'PARAMETER stop "<|im_end|>"' in text and 'SYSTEM """화학 전문가"""' in text


def test_instruction_template_model_stops_at_the_next_section_header() -> None:
    tokenizer = models.load_tokenizer("tiny")
    tokenizer.chat_template = None
    assert not prompting.has_chat_template(tokenizer)
    pieces = template_pieces(tokenizer)
    assert pieces["prefix"] == "### Instruction:\n"  # the runtime adds BOS itself
    assert pieces["user_suffix"] == "\n\n### Response:\n"
    assert pieces["system_suffix"] == "\n\n### Instruction:\n"
    text = modelfile("m.gguf", SimpleNamespace(generation_config=None), tokenizer)
    for header in prompting.SECTION_HEADERS:
        assert f'PARAMETER stop "{header}"' in text
