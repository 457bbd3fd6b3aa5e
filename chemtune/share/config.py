"""The publish and export options, declared once: CLI flags, job configs and the Train tab's widgets."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from chemtune.options import make, option

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
FORMATS = ("merged", "gguf-f16", "gguf-q8_0")


class PublishConfig(BaseModel):
    """Where and what to publish (the token is never an option: it comes from $HF_TOKEN or the page)."""

    model_config = ConfigDict(extra="forbid")

    repo: str = option(
        "", "Hub repository", "The model repository to create or update, as ORG/NAME (or USER/NAME).",
        "허브 저장소", "만들거나 갱신할 모델 저장소(ORG/NAME 또는 USER/NAME).")
    merged: bool = option(
        False, "Merged model", "Publish the base model with the adapter merged in (a standalone model) "
        "instead of the small LoRA adapter.",
        "병합 모델", "작은 LoRA 어댑터 대신 어댑터를 합친 독립 모델을 올립니다.")
    private: bool = option(
        False, "Private", "Create the repository as private (only you and your organisation see it).",
        "비공개", "저장소를 비공개로 만듭니다(본인과 조직만 볼 수 있음).")

    @field_validator("repo")
    @classmethod
    def _repo_id(cls, value: str) -> str:
        value = value.strip()
        if not REPO_ID.match(value):
            raise ValueError(f"{value!r} is not a Hub repository id; write it as ORG/NAME, e.g. "
                             "my-lab/chem-ko-lora")
        return value


class ExportConfig(BaseModel):
    """What to export a run's model as, and where."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["merged", "gguf-f16", "gguf-q8_0"] = option(
        "gguf-q8_0", "Export format",
        "merged: a safetensors model folder; gguf-f16 / gguf-q8_0: one GGUF file (16-bit, or 8-bit "
        "quantized at about half the size) with a Modelfile for Ollama.",
        "내보내기 형식",
        "병합 모델: `.safetensors` 모델 폴더, GGUF f16 / q8_0: GGUF 파일 하나(16비트, 또는 약 절반 "
        "크기의 8비트 양자화)와 Ollama용 `Modelfile`.",
        labels={"merged": ("merged model (safetensors)", "병합 모델(.safetensors)"),
                "gguf-f16": ("GGUF f16", "GGUF f16"), "gguf-q8_0": ("GGUF q8_0", "GGUF q8_0")})
    out: str = option(
        "", "Output folder", "Where the files go (default: the run's export/ folder).",
        "출력 폴더", "파일을 둘 곳(기본: 실행 폴더의 export/).")


def make_publish(values: dict[str, Any]) -> PublishConfig:
    return make(PublishConfig, values, "publish options")


def make_export(values: dict[str, Any]) -> ExportConfig:
    return make(ExportConfig, values, "export options")
