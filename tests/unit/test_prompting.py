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
