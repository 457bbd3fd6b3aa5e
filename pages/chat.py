"""Chat tab: talk to a tuned model, and serve it through an OpenAI-compatible API."""

from __future__ import annotations

from pages.i18n import PageText

STRINGS = {
    "tab": {"en": "Chat", "ko": "채팅"},
    "intro": {
        "en": """### Chat
Talk to a model in Korean or English:

- **Streaming chat** with a base model plus a tuned LoRA adapter, prompted exactly the way it was
  trained.
- An **OpenAI-style API** (`/v1/chat/completions`) so other tools and scripts can use the tuned model.""",
        "ko": """### 채팅
한국어나 영어로 모델과 대화합니다.

- 기본 모델에 학습한 LoRA 어댑터를 얹어 **스트리밍 채팅**을 합니다. 프롬프트는 학습할 때와
  똑같은 형식으로 만들어집니다.
- 다른 도구나 스크립트가 학습한 모델을 쓸 수 있도록 **OpenAI 방식 API**(`/v1/chat/completions`)를
  제공합니다.""",
    },
    "not_yet": {
        "en": "🚧 **Not available yet.** This tab has no controls until chat lands.",
        "ko": "🚧 **아직 사용할 수 없습니다.** 채팅 기능이 추가되기 전까지 이 탭에는 조작할 항목이 없습니다.",
    },
}


def build(text: PageText) -> None:
    text.markdown("intro")
    text.markdown("not_yet")
