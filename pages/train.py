"""Train tab: LoRA tuning of a base model on instruction datasets."""

from __future__ import annotations

from pages.i18n import PageText

STRINGS = {
    "tab": {"en": "Train", "ko": "학습"},
    "intro": {
        "en": """### LoRA tuning
Tune a base model (for example Llama-2 7B or 13B) on your instruction datasets with LoRA adapters:

- **Start** a run from a dataset and a base model; the settings are saved so the same run can be
  repeated from the command line.
- Watch **live loss curves** while it trains.
- **Abort** a run, and **resume** an interrupted one from its last checkpoint.
- Runs keep going when the browser is closed; the page picks them up again when reopened.""",
        "ko": """### LoRA 학습
인스트럭션 데이터셋으로 기본 모델(예: Llama-2 7B, 13B)에 LoRA 어댑터를 학습합니다.

- 데이터셋과 기본 모델을 골라 학습을 **시작**합니다. 설정이 저장되어 명령줄에서 같은 학습을
  다시 실행할 수 있습니다.
- 학습 중 **손실 곡선을 실시간으로** 확인합니다.
- 학습을 **중단**하고, 중단된 학습을 마지막 체크포인트부터 **재개**합니다.
- 브라우저를 닫아도 학습은 계속되며, 다시 열면 페이지가 진행 상황을 이어서 보여 줍니다.""",
    },
    "not_yet": {
        "en": "🚧 **Not available yet.** This tab has no controls until training lands.",
        "ko": "🚧 **아직 사용할 수 없습니다.** 학습 기능이 추가되기 전까지 이 탭에는 조작할 항목이 없습니다.",
    },
}


def build(text: PageText) -> None:
    text.markdown("intro")
    text.markdown("not_yet")
