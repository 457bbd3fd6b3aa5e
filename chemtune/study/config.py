"""A study's declaration: one pydantic field per top-level YAML key, with English and Korean label and help.

The YAML keys are the field names; the CLI reads the same file and the Study tab's pickers are labelled
from the same fields (see `describe`). Train options are the training declaration's own
(`chemtune.train.config`), benchmark entries the evaluation job's (`chemtune.evaluate.job.check_config`):
neither list is repeated here.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chemtune import workspace
from chemtune.errors import ChemtuneError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NONE = "none"  # the condition that trains nothing: the model as it is


def option(default: Any, title: str, description: str, ko: str, ko_help: str, **limits: Any) -> Any:
    """A study key: default, English label and help, Korean label and help."""
    factory = {"default_factory": default} if callable(default) else {"default": default}
    return Field(**factory, title=title, description=description,
                 json_schema_extra={"ko": ko, "ko_help": ko_help, "group": "study"}, **limits)


class Condition(BaseModel):
    """A tuning condition: the datasets ('name[:weight]', as --data takes them) and train option changes."""

    model_config = ConfigDict(extra="forbid")

    data: list[str] = Field(default_factory=list)
    train: dict[str, Any] = Field(default_factory=dict)


class StudyConfig(BaseModel):
    """A study: models × conditions (× seeds) trained, each evaluated on every benchmark."""

    model_config = ConfigDict(extra="forbid")

    name: str = option("study", "Study name", "A short name; the study's id is this name and a hash of "
                       "the whole config, so a changed config is a new study.",
                       "연구 이름", "짧은 이름. 연구 ID는 이 이름과 설정 전체의 해시이므로 설정을 바꾸면 "
                       "새 연구가 됩니다.", min_length=1, max_length=60)
    models: list[str] = option(lambda: ["tiny"], "Base models", "Presets, hub ids, model folders or "
                               ".gguf files; each is tuned under every condition.",
                               "기본 모델", "프리셋, 허브 ID, 모델 폴더 또는 .gguf 파일. 각 모델을 모든 "
                               "조건으로 학습합니다.", min_length=1)
    conditions: dict[str, Condition] = option(
        lambda: {NONE: Condition()}, "Tuning conditions",
        "Condition name → datasets ('chem-ko:2' weighs a set), or → {data: [...], train: {...}} to change "
        "some training options for that condition; 'none: []' evaluates the model untuned.",
        "학습 조건", "조건 이름 → 데이터셋 목록('chem-ko:2'는 가중치), 또는 → {data: [...], train: {...}}로 "
                     "그 조건의 학습 옵션 일부 변경. 'none: []'은 학습하지 않은 모델을 평가합니다.")
    train: dict[str, Any] = option(dict, "Training options", "Options shared by every training cell "
                                   "(the Train tab's options, by their YAML keys).",
                                   "학습 옵션", "모든 학습 셀에 공통인 옵션(학습 탭의 옵션, YAML 키로).")
    benchmarks: list[dict[str, Any]] = option(
        lambda: [{"benchmark": "sample"}], "Benchmarks",
        "Each a mapping of evaluation options (benchmark, group_by, method, shots, prompt_style …); an "
        "optional 'name' tells two entries of one benchmark apart.",
        "벤치마크", "평가 옵션 매핑의 목록(benchmark, group_by, method, shots, prompt_style …). 같은 "
                   "벤치마크를 두 번 쓰면 'name'으로 구분합니다.", min_length=1)
    seeds: list[int] | None = option(None, "Seeds", "Training seeds; each tuned cell is trained once per "
                                     "seed and reported as mean ± sd (default: the train options' seed).",
                                     "시드", "학습 시드. 시드마다 한 번씩 학습하고 평균 ± 표준편차로 "
                                     "보고합니다(기본값: 학습 옵션의 시드).")
    mixtures: dict[str, list[dict[str, Any]]] = option(
        dict, "Mixtures", "Datasets the study builds when missing: name → mixture parts ({dataset, langs, "
        "tasks, ratio}), as the Data tab's mixtures.",
        "혼합 데이터셋", "없으면 연구가 만드는 데이터셋: 이름 → 혼합 구성({dataset, langs, tasks, ratio}), "
                      "데이터 탭의 혼합과 같습니다.")
    reference: list[dict[str, Any]] = option(
        list, "Published rows", "Rows quoted from a paper, shown beside ours: {label, benchmark, view, "
        "values: {sub-category or 'average': F1}}.",
        "논문 수치", "논문에서 인용해 함께 보여 줄 행: {label, benchmark, view, values: {세부 분류 또는 "
                   "'average': F1}}.")

    @field_validator("conditions", mode="before")
    @classmethod
    def _condition_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): {"data": v} if isinstance(v, (list, str)) or v is None else v
                    for k, v in value.items()}
        return value

    @field_validator("conditions")
    @classmethod
    def _some_condition(cls, value: dict[str, Condition]) -> dict[str, Condition]:
        if not value:
            raise ValueError("declare at least one condition (e.g. 'none: []')")
        for name, condition in value.items():
            condition.data = [d.strip() for item in condition.data for d in str(item).split(",") if d.strip()]
            if name == NONE and condition.data:
                raise ValueError("'none' is the untuned model; it takes no datasets")
            if name != NONE and not condition.data:
                raise ValueError(f"condition {name!r} names no dataset (only 'none' trains nothing)")
        return value

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (not value or len(set(value)) != len(value)):
            raise ValueError("give one or more different seeds, or leave seeds out")
        return value


def describe(name: str) -> dict[str, Any]:
    """Label and help of one study key in both languages (for the Study tab)."""
    info = StudyConfig.model_fields[name]
    extra = info.json_schema_extra or {}
    return {"name": name, "label": info.title, "help": info.description, "ko": extra.get("ko"),
            "ko_help": extra.get("ko_help")}


def parse(values: dict[str, Any], where: str = "study") -> StudyConfig:
    """Validate a study mapping; an error names the key (and the entry) at fault."""
    if not isinstance(values, dict):
        raise ChemtuneError(f"{where}: expected a mapping with keys {', '.join(StudyConfig.model_fields)}.",
                            ko=f"{where}: 키가 {', '.join(StudyConfig.model_fields)}인 매핑이어야 합니다.")
    try:
        return StudyConfig(**values)
    except ValidationError as exc:
        parts, ko_parts = [], []
        for item in exc.errors():
            loc = ".".join(str(p) for p in item["loc"]) or "study"
            if item["type"] == "extra_forbidden":
                parts.append(f"'{loc}' is not a study key (keys: {', '.join(StudyConfig.model_fields)})")
                ko_parts.append(f"'{loc}'은(는) 스터디 키가 아닙니다"
                                f"(키: {', '.join(StudyConfig.model_fields)})")
            else:
                parts.append(f"{loc}: {item['msg'].removeprefix('Value error, ')}")
                ko_parts.append(parts[-1])
        raise ChemtuneError(f"{where}: " + "; ".join(parts),
                            ko=f"{where}: " + "; ".join(ko_parts)) from None


def templates() -> list[str]:
    return sorted(path.stem for path in TEMPLATES_DIR.glob("*.yaml"))


def template_text(name: str) -> str:
    path = TEMPLATES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ChemtuneError(f"No study template {name!r}; templates: {', '.join(templates())}.",
                            ko=f"스터디 템플릿 {name!r}이(가) 없습니다; 템플릿: {', '.join(templates())}.")
    return path.read_text(encoding="utf-8")


def studies_dir() -> Path:
    return workspace.home() / "studies"  # made with the workspace's other folders


def from_yaml(text: str, where: str = "study") -> StudyConfig:
    import yaml

    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ChemtuneError(f"{where}: not valid YAML ({exc}).",
                            ko=f"{where}: 올바른 YAML이 아닙니다({exc}).") from None
    return parse(values or {}, where)


def load(source: str) -> StudyConfig:
    """A study from a YAML file, a template name or a study id."""
    source = str(source).strip()
    path = Path(source).expanduser()
    if path.is_file():
        return from_yaml(path.read_text(encoding="utf-8"), str(path))
    if source in templates():
        return from_yaml(template_text(source), f"template {source}")
    if source and "/" not in source and not source.startswith("."):
        saved = studies_dir() / source / "config.yaml"
        if saved.is_file():
            return from_yaml(saved.read_text(encoding="utf-8"), f"study {source}")
    raise ChemtuneError(f"{source!r} is neither a study YAML file, a template ({', '.join(templates())}) "
                        "nor a study id in this workspace.",
                        ko=f"{source!r}은(는) 스터디 YAML 파일도, 템플릿({', '.join(templates())})도, "
                           "이 작업 공간의 스터디 id도 아닙니다.")


def to_dict(study: StudyConfig) -> dict[str, Any]:
    """The declaration as plain data; conditions without option changes are written as dataset lists."""
    data = study.model_dump(mode="json", exclude_none=True)
    data["conditions"] = {name: c["data"] if not c["train"] else c for name, c in data["conditions"].items()}
    for key in ("mixtures", "reference"):
        if not data.get(key):
            data.pop(key, None)
    return data


def study_id(study: StudyConfig) -> str:
    """The name made safe plus a hash of the whole declaration: the same config is the same study."""
    digest = hashlib.sha256(json.dumps(to_dict(study), sort_keys=True, ensure_ascii=False).encode())
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", study.name).strip("-._") or "study"
    return f"{slug[:60]}-{digest.hexdigest()[:8]}"
