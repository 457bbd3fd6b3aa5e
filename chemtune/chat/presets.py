"""System prompt presets (a chemistry expert, Korean and English) and example prompts for each task type
of the instruction data (summarize_extract, summarize_translate, extract_catalyst, extract_property,
exam_explain, keywords, qa), so a tuned model can be tried on the kind of request it was taught."""

from __future__ import annotations

SYSTEM_PROMPTS: dict[str, dict[str, str]] = {
    "chemist": {
        "en": "You are a chemistry expert. Answer accurately and concisely, use correct chemical names, "
              "formulas and units, and say so when you are not sure.",
        "ko": "당신은 화학 전문가입니다. 정확하고 간결하게 답하고, 화학 물질 이름과 화학식, 단위를 바르게 "
              "쓰며, 확실하지 않으면 그렇다고 말하세요.",
    },
    "tutor": {
        "en": "You are a chemistry teacher. Explain step by step, as you would to a university student, "
              "and finish with the answer.",
        "ko": "당신은 화학 교사입니다. 대학생에게 설명하듯 단계별로 풀이하고, 마지막에 답을 제시하세요.",
    },
    "none": {"en": "", "ko": ""},
}

_PASSAGE_EN = (
    "Proton exchange membrane fuel cells use a perfluorosulfonic acid membrane (Nafion) as the electrolyte. "
    "Platinum nanoparticles supported on carbon black catalyse the oxygen reduction reaction at the cathode. "
    "The membrane's proton conductivity reaches 0.1 S/cm at 80 °C and 100 % relative humidity, and its water "
    "uptake is about 30 wt%."
)
_PASSAGE_KO = (
    "고분자 전해질 연료전지는 과불소술폰산 막(Nafion)을 전해질로 사용한다. "
    "탄소 지지체에 담지된 백금 나노입자가 캐소드에서 산소 환원 반응을 촉매한다. "
    "이 막의 수소 이온 전도도는 80 °C, 상대습도 100 %에서 0.1 S/cm에 "
    "이르며, 수분 흡수율은 약 30 wt%이다."
)

# task -> language -> prompt text (instruction, then the passage when the task reads one)
EXAMPLES: dict[str, dict[str, str]] = {
    "summarize_extract": {
        "en": "Summarize the passage in two sentences, then list the materials it mentions."
              f"\n\n{_PASSAGE_EN}",
        "ko": f"다음 글을 두 문장으로 요약한 뒤, 언급된 물질을 나열하세요.\n\n{_PASSAGE_KO}",
    },
    "summarize_translate": {
        "en": f"Summarize the passage in Korean.\n\n{_PASSAGE_EN}",
        "ko": f"다음 글을 영어로 요약하세요.\n\n{_PASSAGE_KO}",
    },
    "extract_catalyst": {
        "en": "Extract every catalyst and its support from the passage as JSON: "
              f'[{{"catalyst": ..., "support": ..., "reaction": ...}}].\n\n{_PASSAGE_EN}',
        "ko": "다음 글에서 촉매와 지지체를 모두 찾아 JSON으로 답하세요: "
              f'[{{"catalyst": ..., "support": ..., "reaction": ...}}].\n\n{_PASSAGE_KO}',
    },
    "extract_property": {
        "en": "Extract the measured properties (name, value, unit, conditions) of the membrane as JSON."
              f"\n\n{_PASSAGE_EN}",
        "ko": "다음 글에서 막의 측정된 물성(이름, 값, 단위, 측정 조건)을 JSON으로 추출하세요."
              f"\n\n{_PASSAGE_KO}",
    },
    "exam_explain": {
        "en": "Which of the following is a strong acid?\nA. CH3COOH\nB. HF\nC. HNO3\nD. H2CO3\n"
              "Choose the answer and explain why.",
        "ko": "다음 중 강산은 무엇인가?\nA. CH3COOH\nB. HF\nC. HNO3\nD. H2CO3\n"
              "정답을 고르고 이유를 설명하세요.",
    },
    "keywords": {
        "en": f"Give five keywords for the passage, separated by commas.\n\n{_PASSAGE_EN}",
        "ko": f"다음 글의 핵심어 다섯 개를 쉼표로 구분해 제시하세요.\n\n{_PASSAGE_KO}",
    },
    "qa": {
        "en": "Why does the proton conductivity of a Nafion membrane drop when the humidity is low?",
        "ko": "습도가 낮으면 Nafion 막의 수소 이온 전도도가 떨어지는 이유는 무엇인가요?",
    },
}

TASK_LABELS: dict[str, dict[str, str]] = {
    "summarize_extract": {"en": "Summarize + extract", "ko": "요약 + 추출"},
    "summarize_translate": {"en": "Summarize + translate", "ko": "요약 + 번역"},
    "extract_catalyst": {"en": "Catalyst extraction", "ko": "촉매 추출"},
    "extract_property": {"en": "Property extraction", "ko": "물성 추출"},
    "exam_explain": {"en": "Exam question", "ko": "시험 문제 풀이"},
    "keywords": {"en": "Keywords", "ko": "핵심어"},
    "qa": {"en": "Question answering", "ko": "질의응답"},
}


def system_prompt(preset: str, lang: str) -> str:
    """The system prompt of a preset in a language ("en" or "ko")."""
    texts = SYSTEM_PROMPTS.get(preset) or SYSTEM_PROMPTS["chemist"]
    return texts.get(lang) or texts["en"]


def examples(lang: str) -> list[str]:
    """One example prompt per task type, in `lang`."""
    return [EXAMPLES[task].get(lang) or EXAMPLES[task]["en"] for task in EXAMPLES]
