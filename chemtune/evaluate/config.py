"""Every evaluation and contamination-check option, declared once (as `chemtune/train/config.py` declares
training's).

One pydantic field per option: the YAML key is the field name, the CLI flag `--field-name`, and the
Evaluate tab's widget (label, help, choices in English and Korean, default) is read from the same field.
An eval job's config.yaml holds exactly the fields of `EvalConfig` (plus `kind`), so
`python -m chemtune eval --config RUN/config.yaml` repeats it. Rules between fields (the endpoint method
needs a base URL …) are model validators; a refusal names its field by label and key, in English (the
message, as the CLI prints it) and in Korean (the ChemtuneError's `ko`, for the page).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)

from chemtune import options
from chemtune.errors import ChemtuneError
from chemtune.evaluate.contamination import DEFAULT_N, DEFAULT_THRESHOLD, MAX_N, MIN_N
from chemtune.options import option

GROUPS = ("model", "exam", "scoring", "endpoint", "advanced")
Method = Literal["loglik", "generate", "endpoint"]  # = chemtune.evaluate.prompts.METHODS
PromptStyle = Literal["chat", "harness"]  # = chemtune.evaluate.harness.PROMPT_STYLES
MAX_SHOTS = 25

# The exam options, shared by an evaluation and a contamination check (one declaration, two models).
BENCHMARK = option(
    "sample",
    "Benchmark",
    "mmlu-chemistry, kmmlu-chemistry, sample (the bundled exam), or the path of a CSV/JSONL exam file. "
    "Hub benchmarks need the internet once, or a local data folder.",
    "벤치마크",
    "`mmlu-chemistry`, `kmmlu-chemistry`, `sample`(내장 시험) 또는 CSV/JSONL 시험 파일 경로. 허브 "
    "벤치마크는 처음 한 번 인터넷이 필요하며, 로컬 데이터 폴더를 지정할 수도 있습니다.",
    "exam",
)
DATA_DIR = option(
    None,
    "Local data folder",
    "A folder with the benchmark's files instead of the Hugging Face Hub: MMLU test/<subject>_test.csv …, "
    "KMMLU <Subject>-test.csv ….",
    "로컬 데이터 폴더",
    "허브 대신 벤치마크 파일이 든 폴더: MMLU `test/<subject>_test.csv` …, KMMLU `<Subject>-test.csv` ….",
    "exam",
)
GROUP_BY = option(
    "subject",
    "Sub-categories",
    "kmmlu-chemistry by subject or by human-accuracy difficulty; every other exam by subject (an exam file "
    "by its category column).",
    "세부 분류",
    "`kmmlu-chemistry`는 과목별 또는 사람 정답률에 따른 난이도별, 다른 시험은 과목별(시험 파일은 "
    "`category` 열).",
    "exam",
    labels={"subject": ("by subject", "과목별"), "difficulty": ("by difficulty", "난이도별")},
)


class Refusal(ValueError):
    """A rule between options refused a value: the field it names and the reason in both languages."""

    def __init__(self, field: str, en: str, ko: str) -> None:
        super().__init__(en)
        self.field, self.en, self.ko = field, en, ko


def _blank_is_none(value: Any) -> Any:
    """A text box left empty (the tab) or a YAML `''` means 'not set'."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _some_benchmark(value: str) -> str:
    if not value.strip():
        raise Refusal("benchmark", "choose a benchmark or an exam file", "벤치마크나 시험 파일을 고르세요")
    return value.strip()


Text = Annotated[str | None, BeforeValidator(_blank_is_none)]  # empty = not set
BenchmarkName = Annotated[str, AfterValidator(_some_benchmark)]
GroupBy = Literal["subject", "difficulty"]


class EvalConfig(BaseModel):
    """The options of one evaluation (config.yaml of an eval job holds exactly these; never the API key)."""

    model_config = ConfigDict(extra="forbid")
    where: ClassVar[tuple[str, str]] = ("eval options", "평가 옵션")  # how a refusal begins (en, ko)
    noun: ClassVar[tuple[str, str]] = ("an eval option", "평가 옵션")

    # -- what is evaluated
    model: Text = option(
        None,
        "Model",
        "A preset (tiny, smollm2-135m-instruct …), a hub id, a local folder or a .gguf file; for the "
        "endpoint method the endpoint's model name (e.g. gpt-4o-mini).",
        "모델",
        "프리셋(tiny, smollm2-135m-instruct …), 허브 ID, 로컬 폴더 또는 .gguf 파일. 엔드포인트 방식이면 "
        "엔드포인트의 모델 이름(예: gpt-4o-mini).",
        "model",
    )
    adapter: Text = option(
        None,
        "Adapter",
        "A finished train run's id, a LoRA adapter folder, or NAME=either (NAME labels the row).",
        "어댑터",
        "완료된 학습 실행의 ID, LoRA 어댑터 폴더, 또는 이름=둘 중 하나(이름이 행 이름이 됩니다).",
        "model",
    )
    label: Text = option(
        None,
        "Row name",
        "How this evaluation is named in comparison tables (default: model + adapter).",
        "행 이름",
        "비교 표에 표시할 이름(기본값: 모델 + 어댑터).",
        "model",
    )
    # -- which exam
    benchmark: BenchmarkName = BENCHMARK
    data_dir: Text = DATA_DIR
    group_by: GroupBy = GROUP_BY
    limit: int = option(
        0,
        "Questions per sub-category",
        "Only the first N questions of each sub-category, for a quick look (0 = all).",
        "세부 분류별 문항 수",
        "세부 분류마다 앞의 N문항만 채점합니다. 빠른 확인용(0 = 전체).",
        "exam",
        ge=0,
    )
    # -- how it is scored
    method: Method = option(
        "loglik",
        "Scoring",
        "loglik: the likelihood of each option's letter (fast, exact); generate: a greedy answer in JSON, "
        "read back; endpoint: the same through an OpenAI-compatible API.",
        "채점 방식",
        "로그우도: 보기 기호마다의 우도(빠르고 정확); 생성: 그리디로 생성한 JSON 답을 읽음; 엔드포인트: "
        "같은 방식을 OpenAI 호환 API로.",
        "scoring",
        labels={"loglik": ("log-likelihood", "로그우도"), "generate": ("generate", "생성"),
                "endpoint": ("endpoint", "엔드포인트")},
    )
    prompt_style: PromptStyle = option(
        "chat",
        "Prompt style",
        "chat: chemtune's prompts through the model's chat template (for tuned models); harness: the plain "
        "MMLU/KMMLU text of lm-evaluation-harness and its ' A'…' D' continuations, to set a base model's "
        "score beside published ones (log-likelihood only).",
        "프롬프트 형식",
        "채팅: 모델의 채팅 템플릿으로 만든 chemtune 프롬프트(학습한 모델용); 하니스: "
        "`lm-evaluation-harness`의 MMLU/KMMLU 평문과 ' A'…' D' 이어쓰기로, 기본 모델 점수를 공개된 "
        "점수와 나란히 비교(로그우도 전용).",
        "scoring",
        labels={"chat": ("chat template", "채팅 템플릿"),
                "harness": ("lm-evaluation-harness", "평가 하니스")},
    )
    shots: int = option(
        0,
        "Examples (k-shot)",
        f"0–{MAX_SHOTS} solved examples before each question, from the dev split (other test questions of "
        "its sub-category when the exam has none); 0 = zero-shot.",
        "예시 수 (k-샷)",
        f"문항 앞에 붙이는 풀이 예시 0–{MAX_SHOTS}개. 예시용 분할에서 고르며, 없으면 같은 세부 분류의 "
        "다른 시험 문항을 씁니다. 0 = 예시 없음.",
        "scoring",
        ge=0, le=MAX_SHOTS,
    )
    trust_remote_code: bool = option(
        False,
        "Trust remote code",
        "Run the Python code the model's repository ships (EXAONE needs it); only for models you trust.",
        "원격 코드 신뢰",
        "모델 저장소가 제공하는 Python 코드를 실행합니다(EXAONE에 필요). 신뢰하는 모델에만 켜세요.",
        "scoring",
    )
    # -- the endpoint method
    base_url: Text = option(
        None,
        "Base URL",
        "The endpoint's OpenAI-compatible API, e.g. https://api.openai.com/v1 or http://localhost:8000/v1.",
        "기본 URL",
        "엔드포인트의 OpenAI 호환 API 주소. 예: https://api.openai.com/v1 또는 http://localhost:8000/v1.",
        "endpoint",
    )
    api_key_env: str = option(
        "OPENAI_API_KEY",
        "API key variable",
        "The environment variable the endpoint's API key is read from (the key itself is never stored).",
        "API 키 환경 변수",
        "엔드포인트 API 키를 읽을 환경 변수 이름(키 자체는 저장하지 않습니다).",
        "endpoint",
    )
    concurrency: int = option(
        4,
        "Requests at once",
        "Questions sent to the endpoint at the same time.",
        "동시 요청 수",
        "엔드포인트에 한 번에 보내는 문항 수.",
        "endpoint",
        ge=1, le=64,
    )
    # -- an LLM judge for the task benchmark (tasks:DATASET), any OpenAI-compatible endpoint
    judge_base_url: Text = option(
        None,
        "Judge base URL",
        "Task benchmark only: an OpenAI-compatible API whose model grades each answer 1-5 by the task's "
        "rubric, with a reason kept beside the prediction. Empty: no judge.",
        "심사 모델 기본 URL",
        "작업 벤치마크 전용: 각 답변을 작업의 기준에 따라 1~5점과 이유로 채점하는 OpenAI 호환 API 주소. "
        "비우면 심사하지 않습니다.",
        "endpoint",
    )
    judge_model: Text = option(
        None,
        "Judge model",
        "The judge endpoint's model name (e.g. gpt-4o-mini).",
        "심사 모델",
        "심사 엔드포인트의 모델 이름(예: gpt-4o-mini).",
        "endpoint",
    )
    judge_api_key_env: str = option(
        "OPENAI_API_KEY",
        "Judge API key variable",
        "The environment variable the judge's API key is read from (the key itself is never stored).",
        "심사 API 키 환경 변수",
        "심사 엔드포인트 API 키를 읽을 환경 변수 이름(키 자체는 저장하지 않습니다).",
        "endpoint",
    )
    # -- batching and device
    batch_size: int = option(
        16,
        "Batch size",
        "Questions per forward pass (generation uses half as many).",
        "배치 크기",
        "순전파 한 번에 처리하는 문항 수(생성은 그 절반).",
        "advanced",
        ge=1, le=4096,
    )
    max_new_tokens: int = option(
        256,
        "Answer length (tokens)",
        "Most tokens generated per answer (generate and endpoint methods).",
        "답변 길이(토큰)",
        "답변마다 생성하는 최대 토큰 수(생성·엔드포인트 방식).",
        "advanced",
        ge=1, le=32768,
    )
    padding_side: Literal["right", "left"] = option(
        "right",
        "Padding side",
        "Where a batch's shorter prompts are padded for log-likelihood scoring; both give the same scores.",
        "패딩 위치",
        "로그우도 채점에서 배치의 짧은 프롬프트를 채우는 쪽. 어느 쪽이든 점수는 같습니다.",
        "advanced",
        labels={"right": ("right", "오른쪽"), "left": ("left", "왼쪽")},
    )
    device: str = option(
        "auto",
        "Device",
        "auto (a CUDA GPU when there is one, else the CPU), cpu, cuda, cuda:N or mps.",
        "장치",
        "`auto`(CUDA GPU가 있으면 GPU, 없으면 CPU), `cpu`, `cuda`, `cuda:N` 또는 `mps`.",
        "advanced",
    )

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise Refusal("api_key_env", f"{value!r} is not an environment variable's name",
                          f"{value!r}은(는) 환경 변수 이름이 아닙니다")
        return value

    @field_validator("judge_api_key_env")
    @classmethod
    def _judge_env_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise Refusal("judge_api_key_env", f"{value!r} is not an environment variable's name",
                          f"{value!r}은(는) 환경 변수 이름이 아닙니다")
        return value

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        value = value.strip().lower()
        if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", value):
            raise Refusal("device", f"{value!r} is not a device; use auto, cpu, cuda, cuda:N or mps",
                          f"{value!r}은(는) 장치가 아닙니다. auto, cpu, cuda, cuda:N, mps 중 하나를 쓰세요")
        return value

    @model_validator(mode="after")
    def _rules(self) -> EvalConfig:
        if not self.model:
            raise Refusal("model", "give a model: a preset such as 'tiny', a hub id, a folder, or for the "
                          "endpoint method the endpoint's model name",
                          "모델을 지정하세요: 'tiny' 같은 프리셋, 허브 ID, 폴더, 또는 엔드포인트 방식이면 "
                          "엔드포인트의 모델 이름")
        if self.prompt_style == "harness" and self.method != "loglik":
            raise Refusal("prompt_style", "the harness style scores the continuations ' A'…' D' by "
                          "log-likelihood, as lm-evaluation-harness does; it needs method 'loglik'",
                          "하니스 형식은 ' A'…' D' 이어쓰기를 로그우도로 채점합니다. 채점 방식은 "
                          "로그우도여야 합니다")
        if self.method == "endpoint":
            if not self.base_url:
                raise Refusal("base_url", "the endpoint method needs a base URL (e.g. "
                              "http://localhost:8000/v1)",
                              "엔드포인트 방식에는 기본 URL이 필요합니다(예: http://localhost:8000/v1)")
            if self.adapter:
                raise Refusal("adapter", "an adapter cannot be attached to an endpoint model; serve the "
                              "tuned model instead (python -m chemtune serve)",
                              "엔드포인트 모델에는 어댑터를 붙일 수 없습니다. 학습한 모델을 직접 서비스하세요"
                              "(`python -m chemtune serve`)")
        else:
            _check_remote_code(self.model, self.trust_remote_code)
        if self.judge_base_url and not self.judge_model:
            raise Refusal("judge_model", "a judge endpoint needs its model's name (e.g. gpt-4o-mini)",
                          "심사 엔드포인트에는 모델 이름이 필요합니다(예: gpt-4o-mini)")
        return self


class ContaminationConfig(BaseModel):
    """The options of a contamination check: which exam, which training data, how overlap is measured."""

    model_config = ConfigDict(extra="forbid")
    where: ClassVar[tuple[str, str]] = ("contamination options", "오염 검사 옵션")
    noun: ClassVar[tuple[str, str]] = ("a contamination option", "오염 검사 옵션")

    benchmark: BenchmarkName = BENCHMARK
    data_dir: Text = DATA_DIR
    group_by: GroupBy = GROUP_BY
    datasets: list[str] = option(
        [],
        "Training datasets",
        "Workspace dataset names or JSONL/CSV files (a comma list on the command line).",
        "학습 데이터셋",
        "작업 폴더의 데이터셋 이름 또는 JSONL/CSV 파일(명령줄에서는 쉼표로 구분).",
        "check",
    )
    ngram: int = option(
        DEFAULT_N,
        "n-gram length (characters)",
        f"Length of the character n-grams compared, {MIN_N}–{MAX_N} (spaces and punctuation removed first).",
        "n-그램 길이(글자)",
        f"비교하는 글자 n-그램의 길이, {MIN_N}–{MAX_N}(공백과 문장 부호는 먼저 지웁니다).",
        "check",
        ge=MIN_N, le=MAX_N,
    )
    threshold: float = option(
        DEFAULT_THRESHOLD,
        "Flag at overlap ≥",
        "A question is flagged when at least this share of its n-grams occurs in the training data.",
        "겹침 비율 기준 ≥",
        "문항 n-그램 가운데 이 비율 이상이 학습 데이터에 있으면 표시합니다.",
        "check",
        gt=0.0, le=1.0,
    )
    with_choices: bool = option(
        False,
        "Include the options",
        "Compare each question together with its options' text.",
        "보기 포함",
        "문항과 함께 보기 내용도 비교합니다.",
        "check",
    )

    @field_validator("datasets", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            return [str(item).strip() for item in value if str(item).strip()]
        return value

    @field_validator("datasets")
    @classmethod
    def _some(cls, value: list[str]) -> list[str]:
        if not value:
            raise Refusal("datasets", "choose at least one training dataset to check the exam against",
                          "시험과 비교할 학습 데이터셋을 하나 이상 고르세요")
        return value


def _check_remote_code(model: str | None, trust: bool) -> None:
    """Refuse a preset that needs its repository's code unless trust_remote_code is on (before queuing)."""
    from chemtune.models import PRESETS

    preset = PRESETS.get(str(model))
    if preset is not None and preset.trust_remote_code and not trust:
        raise Refusal("trust_remote_code",
                      f"model {model!r} needs custom code from its repository; turn this on if you trust it",
                      f"모델 {model!r}은(는) 저장소의 자체 코드가 필요합니다. 신뢰한다면 이 옵션을 켜세요")


# ---- refusals in both languages -------------------------------------------------------------------------

def _label(config: type[BaseModel], name: str, lang: str) -> str:
    field = config.model_fields.get(name)
    if field is None:
        return name
    korean = (field.json_schema_extra or {}).get("ko") if lang == "ko" else None
    return korean or field.title or name


def explain(config: type[BaseModel], error: ValidationError, where: str | None = None) -> ChemtuneError:
    """A pydantic error as one sentence per language, naming each refused option by its label and key."""
    en_where, ko_where = getattr(config, "where", ("options", "옵션"))
    en_noun, ko_noun = getattr(config, "noun", ("an option", "옵션"))
    en, ko = [], []
    for item in error.errors():
        refusal = (item.get("ctx") or {}).get("error")
        name = refusal.field if isinstance(refusal, Refusal) else ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            known = ", ".join(config.model_fields)
            en.append(f"'{name}' is not {en_noun} (options: {known})")
            ko.append(f"'{name}'은(는) {ko_noun}이 아닙니다(옵션: {known})")
            continue
        key = name.split(".")[0]
        if isinstance(refusal, Refusal):
            en_text, ko_text = refusal.en, refusal.ko
        else:
            en_text = item["msg"].removeprefix("Value error, ")
            ko_text = _korean(config, key, item) or en_text
        en.append(f"{_label(config, key, 'en')} ({name}): {en_text}")
        ko.append(f"{_label(config, key, 'ko')} ({name}): {ko_text}")
    return ChemtuneError(f"{where or en_where}: " + "; ".join(en),
                         ko=f"{where or ko_where}: " + "; ".join(ko))


def refused(config: type[BaseModel], field: str, en: str, ko: str) -> ChemtuneError:
    """One refused option, worded as `explain` words pydantic's refusals (a check outside the model, such as
    whether an adapter exists, names its field the same way)."""
    en_where, ko_where = getattr(config, "where", ("options", "옵션"))
    return ChemtuneError(f"{en_where}: {_label(config, field, 'en')} ({field}): {en}",
                         ko=f"{ko_where}: {_label(config, field, 'ko')} ({field}): {ko}")


def _korean(config: type[BaseModel], name: str, item: dict) -> str | None:
    """pydantic's reason in Korean: a choice's by its Korean labels, the others as `chemtune.options` has
    them (None: none there, the English stays)."""
    if item["type"] == "literal_error" and name in config.model_fields:
        choices = options.describe(config, name)["choices"] or []
        shown = ", ".join(f"{options.choice_label(config, name, c, 'ko')}({c})" for c in choices)
        return f"다음 중 하나여야 합니다: {shown}"
    return options._korean_reason(item)  # the shared table of common reasons


def make(config: type[BaseModel], values: dict[str, Any] | None, where: str | None = None) -> Any:
    """Validate options (unset or None ones take their defaults); a refusal names the option."""
    values = {k: v for k, v in (values or {}).items() if v is not None}
    try:
        return config(**values)
    except ValidationError as exc:
        raise explain(config, exc, where) from None


def make_eval_config(values: dict[str, Any] | None, where: str | None = None) -> EvalConfig:
    return make(EvalConfig, values, where)


def make_contamination_config(values: dict[str, Any] | None,
                              where: str | None = None) -> ContaminationConfig:
    return make(ContaminationConfig, values, where)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The options in a YAML file (an eval job's config.yaml works: its 'kind' key is ignored). Their
    values are checked with the flags that override them, so a file may leave out what a flag gives."""
    data = options.read_config_file(path)
    unknown = [key for key in data if key not in EvalConfig.model_fields]
    if unknown:
        known = ", ".join(EvalConfig.model_fields)
        raise ChemtuneError(f"{path}: not eval options: {', '.join(unknown)} (options: {known}).",
                            ko=f"{path}: 평가 옵션이 아닙니다: {', '.join(unknown)} (옵션: {known}).")
    return data
