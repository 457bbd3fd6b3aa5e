"""The one prompt format: with and without a chat template, in Korean and English."""

import pytest

from chemtune import models, prompting

SYSTEM_KO = "당신은 화학 전문가입니다."
CASES = [
    ("ko", SYSTEM_KO, "다음 초록을 요약하세요.", "백금 촉매는 산소 환원 반응을 촉진한다.",
     "백금은 ORR 촉매이다."),
    ("en", "You are a chemistry expert.", "Name the catalyst.", "Pt/C was used as the cathode.", "Pt/C"),
    ("en", None, "What is the pH of 0.01 M HCl?", "", "The pH is 2."),
]


@pytest.fixture(scope="module")
def chat_tokenizer():
    return models.load_tokenizer(str(models.build_tiny()))


@pytest.fixture(scope="module")
def plain_tokenizer(chat_tokenizer):
    import copy

    tokenizer = copy.deepcopy(chat_tokenizer)
    tokenizer.chat_template = None
    return tokenizer


@pytest.fixture(autouse=True)
def shared_home(tmp_path_factory, monkeypatch):
    # one tiny model for the whole module
    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path_factory.getbasetemp() / "prompting-home"))


@pytest.mark.parametrize("lang, system, instruction, input, output", CASES)
def test_chat_template_prompt_ends_where_the_response_starts(chat_tokenizer, lang, system, instruction,
                                                             input, output):
    prompt = prompting.build_prompt(chat_tokenizer, system, instruction, input, output)
    assert prompt.response.startswith(output)
    assert prompt.prompt.endswith("<|im_start|>assistant\n")
    assert instruction in prompt.prompt and (input in prompt.prompt)
    if system:
        assert prompt.text.startswith(f"<|im_start|>system\n{system}<|im_end|>")
    generation = prompting.build_prompt(chat_tokenizer, system, instruction, input)
    assert generation.text == prompt.prompt and generation.response == ""


@pytest.mark.parametrize("lang, system, instruction, input, output", CASES)
def test_instruction_template_is_used_without_a_chat_template(plain_tokenizer, lang, system, instruction,
                                                               input, output):
    prompt = prompting.build_prompt(plain_tokenizer, system, instruction, input, output)
    assert prompt.prompt.endswith("### Response:\n")
    assert "### Instruction:\n" + instruction in prompt.prompt
    assert (input in prompt.prompt) if input else "### Input" not in prompt.prompt
    assert prompt.response == output + plain_tokenizer.eos_token
    if system:
        assert prompt.text.startswith(plain_tokenizer.bos_token + system + "\n\n")


@pytest.mark.parametrize("template", ["chat", "plain"])
@pytest.mark.parametrize("lang, system, instruction, input, output", CASES)
def test_labels_mask_every_prompt_token(chat_tokenizer, plain_tokenizer, template, lang, system,
                                        instruction, input, output):
    tokenizer = chat_tokenizer if template == "chat" else plain_tokenizer
    prompt = prompting.build_prompt(tokenizer, system, instruction, input, output)
    example = prompting.tokenize_for_training(tokenizer, prompt)
    ids, labels = example["input_ids"], example["labels"]
    n_prompt = len(prompting.tokenize_prompt(tokenizer, prompt))
    assert labels[:n_prompt - 1] == [-100] * (n_prompt - 1)
    learned = [t for t in labels if t != -100]
    assert tokenizer.decode(learned).startswith(output[: max(1, len(output) // 2)].strip()[:3])
    assert tokenizer.decode(learned).rstrip().endswith(tokenizer.eos_token) or template == "chat"
    assert len(ids) == len(labels) and not example["truncated"]


def test_truncation_is_reported(chat_tokenizer):
    prompt = prompting.build_prompt(chat_tokenizer, None, "설명하세요. " * 50, "", "답")
    example = prompting.tokenize_for_training(chat_tokenizer, prompt, max_length=16)
    assert example["truncated"] and len(example["input_ids"]) == 16


def test_multi_turn_history_keeps_every_turn(chat_tokenizer, plain_tokenizer):
    messages = [
        {"role": "system", "content": SYSTEM_KO},
        {"role": "user", "content": "pH란?"},
        {"role": "assistant", "content": "수소 이온 농도의 척도입니다."},
        {"role": "user", "content": [{"type": "text", "text": "예를 들어 주세요."}]},
    ]
    for tokenizer in (chat_tokenizer, plain_tokenizer):
        prompt = prompting.render_messages(tokenizer, messages)
        assert prompt.response == ""
        for part in ("pH란?", "수소 이온 농도의 척도입니다.", "예를 들어 주세요.", SYSTEM_KO):
            assert part in prompt.text


@pytest.mark.parametrize("content, expected", [
    ("plain", "plain"),
    ([{"type": "text", "text": "촉매"}, {"type": "text", "text": " 반응"}], "촉매 반응"),
    ({"type": "text", "text": "x"}, "x"),
    ([{"type": "image", "url": "a.png"}, "b"], "b"),
    (None, ""),
])
def test_structured_message_content_is_flattened(content, expected):
    assert prompting.flatten_content(content) == expected


def documented_instruction_template() -> str:
    """The literal block the module docstring shows for the instruction template."""
    import textwrap

    doc = prompting.__doc__
    block = doc[doc.index("::\n\n") + 4:]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip("\n")


@pytest.mark.parametrize("lang, system, instruction, input, output", CASES)
def test_documented_instruction_template_is_exactly_what_is_rendered(plain_tokenizer, lang, system,
                                                                     instruction, input, output):
    template = documented_instruction_template()
    assert "### Input" not in template  # the input stays inside the instruction section
    # As documented: without a system prompt or an input, that line and the blank line after it go.
    if not system:
        template = template.replace("{system}\n\n", "")
    if not input:
        template = template.replace("{input}\n\n", "")
    expected = template.format(bos_token=plain_tokenizer.bos_token, eos_token=plain_tokenizer.eos_token,
                               system=system, instruction=instruction, input=input, output=output)
    prompt = prompting.build_prompt(plain_tokenizer, system, instruction, input, output)
    assert prompt.text == expected
    assert prompt.prompt == expected[: expected.index("### Response:\n") + len("### Response:\n")]


@pytest.fixture(scope="module")
def no_system_tokenizer(chat_tokenizer):
    """A tokenizer with a Gemma 1/2 style template, which raises on a system message."""
    import copy

    from tests.support.templates import GEMMA2_CHAT_TEMPLATE

    tokenizer = copy.deepcopy(chat_tokenizer)
    tokenizer.chat_template = GEMMA2_CHAT_TEMPLATE
    return tokenizer


@pytest.mark.parametrize("lang, system, instruction, input, output", CASES)
def test_template_refusing_the_system_role_gets_it_in_the_first_user_turn(no_system_tokenizer, lang, system,
                                                                         instruction, input, output):
    from jinja2 import TemplateError

    if system:
        with pytest.raises(TemplateError, match="System role not supported"):
            no_system_tokenizer.apply_chat_template(prompting.record_messages(system, instruction, input),
                                                    tokenize=False)
    prompt = prompting.build_prompt(no_system_tokenizer, system, instruction, input, output)
    user = prompting.user_content(instruction, input)
    first_turn = f"{system}\n\n{user}" if system else user
    bos = no_system_tokenizer.bos_token
    assert prompt.prompt == f"{bos}<start_of_turn>user\n{first_turn}<end_of_turn>\n<start_of_turn>model\n"
    assert prompt.response == f"{output}<end_of_turn>\n"
    example = prompting.tokenize_for_training(no_system_tokenizer, prompt)
    learned = [t for t in example["labels"] if t != -100]
    assert no_system_tokenizer.decode(learned).startswith(output[:2])


def test_folded_system_prompt_appears_once_in_a_multi_turn_conversation(no_system_tokenizer):
    messages = [
        {"role": "system", "content": SYSTEM_KO},
        {"role": "user", "content": "pH란?"},
        {"role": "assistant", "content": "수소 이온 농도의 척도입니다."},
        {"role": "user", "content": "예를 들어 주세요."},
    ]
    prompt = prompting.render_messages(no_system_tokenizer, messages)
    assert prompt.text.count(SYSTEM_KO) == 1
    assert f"<start_of_turn>user\n{SYSTEM_KO}\n\npH란?<end_of_turn>" in prompt.text
    assert prompt.text.endswith("<start_of_turn>user\n예를 들어 주세요.<end_of_turn>\n<start_of_turn>model\n")


def test_template_errors_other_than_the_system_role_are_still_raised(no_system_tokenizer):
    from jinja2 import TemplateError

    twice = [{"role": "user", "content": "pH란?"}, {"role": "user", "content": "예를 들어 주세요."}]
    with pytest.raises(TemplateError, match="alternate"):
        prompting.render_messages(no_system_tokenizer, twice)
    with pytest.raises(TemplateError, match="alternate"):
        prompting.render_messages(no_system_tokenizer, [{"role": "system", "content": SYSTEM_KO}, *twice])


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.long
def test_gemma_tokenizer_with_its_gemma2_template_renders_a_system_prompt(gemma3):
    from chemtune.evaluate.prompts import SYSTEM
    from tests.support.templates import GEMMA2_CHAT_TEMPLATE

    tokenizer = models.load_tokenizer(str(gemma3))
    tokenizer.chat_template = GEMMA2_CHAT_TEMPLATE
    messages = [{"role": "system", "content": SYSTEM["en"]}, {"role": "user", "content": "What is H2O?"}]
    prompt = prompting.render_messages(tokenizer, messages)
    assert prompt.prompt == f"<bos><start_of_turn>user\n{SYSTEM['en']}\n\nWhat is H2O?<end_of_turn>\n" \
                            "<start_of_turn>model\n"
    ids = prompting.tokenize_prompt(tokenizer, prompt)
    assert ids[:2] == tokenizer.convert_tokens_to_ids(["<bos>", "<start_of_turn>"])
