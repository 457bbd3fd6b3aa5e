"""Data tab: instruction data from chemistry documents, public sets and the user's own files."""

from __future__ import annotations

from pages.i18n import PageText

STRINGS = {
    "tab": {"en": "Data", "ko": "데이터"},
    "intro": {
        "en": """### Instruction data
Build the Korean and English instruction data a chemistry model is tuned on:

- **Generate** instructions from your chemistry documents with any OpenAI-compatible LLM
  (the OpenAI API, vLLM, Ollama), in the task types of the paper.
- **Validate** every record (missing fields, empty answers, wrong language) and **remove duplicates**.
- **Import** public instruction sets (Alpaca, ShareGPT, OpenAI messages, Hugging Face datasets).
- **Export** a dataset to Alpaca, ShareGPT, OpenAI messages or a Hugging Face `datasets` folder.""",
        "ko": """### 인스트럭션 데이터
화학 모델 학습에 쓸 한국어·영어 인스트럭션 데이터를 만듭니다.

- 화학 문서에서 OpenAI 호환 LLM(OpenAI API, vLLM, Ollama)으로 논문의 과제 유형에 맞는
  인스트럭션을 **생성**합니다.
- 모든 레코드를 **검증**하고(누락된 필드, 빈 답변, 잘못된 언어) **중복을 제거**합니다.
- 공개 인스트럭션 데이터(Alpaca, ShareGPT, OpenAI messages, Hugging Face datasets)를 **가져옵니다**.
- 데이터셋을 Alpaca, ShareGPT, OpenAI messages 또는 Hugging Face `datasets` 폴더로 **내보냅니다**.""",
    },
    "not_yet": {
        "en": "🚧 **Not available yet.** This tab has no controls until data generation lands.",
        "ko": "🚧 **아직 사용할 수 없습니다.** "
        "데이터 생성 기능이 추가되기 전까지 이 탭에는 조작할 항목이 없습니다.",
    },
}


def build(text: PageText) -> None:
    text.markdown("intro")
    text.markdown("not_yet")
