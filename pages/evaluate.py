"""Evaluate tab: chemistry benchmarks in English and Korean, scored into F1 tables."""

from __future__ import annotations

from pages.i18n import PageText

STRINGS = {
    "tab": {"en": "Evaluate", "ko": "평가"},
    "intro": {
        "en": """### Evaluation
Measure how much chemistry a model knows, before and after tuning:

- **MMLU chemistry** subjects (high-school and college chemistry) in English.
- **Korean chemistry exams**: questions from Korean chemistry licence examinations.
- Compare base models and tuned adapters side by side in **F1 tables**, saved as reports in the
  workspace.""",
        "ko": """### 평가
학습 전후로 모델의 화학 지식을 측정합니다.

- 영어 **MMLU 화학** 과목(고등학교 화학, 대학 화학).
- **한국어 화학 시험**: 국내 화학 관련 자격시험 문제.
- 기본 모델과 학습한 어댑터를 **F1 표**로 나란히 비교하고, 보고서를 작업 폴더에 저장합니다.""",
    },
    "not_yet": {
        "en": "🚧 **Not available yet.** This tab has no controls until evaluation lands.",
        "ko": "🚧 **아직 사용할 수 없습니다.** 평가 기능이 추가되기 전까지 이 탭에는 조작할 항목이 없습니다.",
    },
}


def build(text: PageText) -> None:
    text.markdown("intro")
    text.markdown("not_yet")
