"""The steps a publish or export job reports, in English and Korean: the job records a step's id and
arguments, so a page words it in its own language and the CLI prints the English."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STEPS: dict[str, dict[str, str]] = {
    "merge": {"en": "merging the adapter into the base model …", "ko": "어댑터를 기본 모델에 병합하는 중 …"},
    "create": {"en": "creating {repo} …", "ko": "{repo} 저장소를 만드는 중 …"},
    "upload": {"en": "uploading {files} files …", "ko": "파일 {files}개를 올리는 중 …"},
    "convert": {"en": "converting to {file} with llama.cpp's convert_hf_to_gguf.py …",
                "ko": "llama.cpp의 convert_hf_to_gguf.py로 {file}(으)로 변환하는 중 …"},
    "modelfile": {"en": "writing the Modelfile …", "ko": "Modelfile을 쓰는 중 …"},
}


@dataclass(frozen=True)
class Step:
    """One reported step: its id in STEPS and the blanks of its text."""

    id: str
    args: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        texts = STEPS[self.id]
        return texts.get(lang, texts["en"]).format(**self.args)

    def __str__(self) -> str:
        return self.text("en")
