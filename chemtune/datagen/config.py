"""Every generation and import option, declared once (as `chemtune/train/config.py` declares training's).

One pydantic field per option: the YAML key is the field name, the CLI flag `--field-name`, and the Data
tab's widget (label, help, choices in English and Korean, default) is read from the same field. A generate
job's config.yaml holds exactly the fields of `GenerateConfig` (plus `kind`), so
`python -m chemtune generate --config RUN/config.yaml` repeats it.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from chemtune import options
from chemtune.datagen.dedup import DEFAULT_THRESHOLD
from chemtune.options import option

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
Property = Literal["water_uptake", "ion_exchange_capacity", "ion_conductivity"]  # = tasks.PROPERTIES
ImportFormat = Literal["auto", "alpaca", "sharegpt", "messages", "chemtune", "hydra", "camel", "chemrxiv"]


class LLMSettings(BaseModel):
    """Where and how the teacher LLM is asked, and how often a failed request is tried again."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = option(
        DEFAULT_BASE_URL, "Base URL", "OpenAI-compatible API URL (OpenAI, vLLM, Ollama …).",
        "서버 URL", "OpenAI 호환 API 주소(OpenAI, vLLM, Ollama …).", "teacher")
    model: str = option(
        DEFAULT_MODEL, "Teacher model", "Model name on that server.",
        "교사 모델", "그 서버의 모델 이름.", "teacher")
    temperature: float = option(
        0.0, "Temperature", "Sampling temperature (0 = greedy).",
        "온도", "샘플링 온도(0이면 가장 확률 높은 답).", "teacher", ge=0.0, le=2.0)
    max_tokens: int = option(
        1024, "Longest answer (tokens)", "Longest answer; a longer one is a failure (truncated).",
        "최대 답변 길이(토큰)", "가장 긴 답변. 더 길면 잘린 것으로 보고 실패 처리합니다.", "teacher", ge=1)
    timeout: float = option(
        60.0, "Timeout (s)", "Seconds to wait for one answer before trying again.",
        "제한 시간(초)", "답변 하나를 기다리는 시간. 넘으면 다시 요청합니다.", "teacher", gt=0)
    json_mode: bool = option(
        True, "JSON mode", "Ask for JSON mode on JSON tasks (dropped if the server refuses it).",
        "JSON 모드", "JSON 과제에서 JSON 모드를 요청합니다(서버가 거부하면 끕니다).", "teacher")
    max_attempts: int = option(
        5, "Tries per document", "Tries per request (rate limits, server errors and timeouts are retried).",
        "문서당 시도 횟수", "요청당 시도 횟수(요청 제한, 서버 오류, 시간 초과는 다시 시도).", "retry",
        ge=1, le=20)
    backoff_s: float = option(
        1.0, "First wait (s)", "Wait before the first retry; doubles each try (a server's Retry-After wins).",
        "첫 대기(초)", "첫 재시도 전 대기 시간. 시도마다 두 배(서버가 알려 준 대기 시간이 우선).", "retry",
        ge=0)
    max_backoff_s: float = option(
        60.0, "Longest wait (s)", "Longest wait between two tries.",
        "최대 대기(초)", "두 시도 사이의 가장 긴 대기 시간.", "retry", ge=0)

    def retry_policy(self) -> Any:
        """The one retry rule (chemtune.retry) with this run's tries and waits."""
        from chemtune.retry import RetryPolicy

        return RetryPolicy(attempts=self.max_attempts, backoff_s=self.backoff_s,
                           max_wait_s=self.max_backoff_s)


class DedupOptions(BaseModel):
    """Duplicate removal, the same for generated and imported datasets."""

    dedup: bool = option(
        True, "Remove duplicates", "Remove exact and near-duplicate records.",
        "중복 제거", "똑같거나 거의 같은 레코드를 제거합니다.", "output")
    dedup_threshold: float = option(
        DEFAULT_THRESHOLD, "Duplicate similarity",
        "Similarity at or above which a record is a duplicate (character 3-gram Jaccard).",
        "중복 유사도 기준", "이 유사도 이상이면 중복으로 봅니다(세 글자 조각의 자카드 유사도).", "output",
        gt=0, le=1)


class GenerateConfig(LLMSettings, DedupOptions):
    """Everything that defines a generation run (config.yaml of a generate job; never the API key)."""

    model_config = ConfigDict(extra="forbid")

    # -- documents
    source: str = option(
        "", "Documents", "A .txt .md .jsonl .csv .pdf file, or hf:DATASET_ID.",
        "문서", ".txt .md .jsonl .csv .pdf 파일 또는 `hf:데이터셋_ID`.", "documents")
    text_column: str | None = option(
        None, "Text column", "Column holding the text (.jsonl / .csv / dataset).",
        "텍스트 열", "텍스트가 든 열(.jsonl / .csv / 데이터셋).", "documents")
    split: str = option(
        "train", "Split", "Split of a Hugging Face dataset.",
        "분할", "Hugging Face 데이터셋의 분할.", "documents")
    limit: int = option(
        0, "Documents to use", "Only the first N documents (0 = all).",
        "사용할 문서 수", "앞의 N개 문서만 사용(0이면 전체).", "documents", ge=0)
    # -- task
    task: str = option(
        "summarize_extract", "Task",
        "The answer format the teacher LLM must produce (catalogue or your own).",
        "과제", "교사 LLM이 만들 답변 형식(카탈로그 또는 직접 추가한 과제).", "task")
    lang: Literal["en", "ko"] | None = option(
        None, "Instruction language", "Language of the instruction (empty = the task's usual one).",
        "지시문 언어", "지시문의 언어(비우면 과제의 기본 언어).", "task",
        labels={"en": ("English", "영어"), "ko": ("Korean", "한국어")})
    instruction: str | None = option(
        None, "Instruction", "Edited instruction text (empty = the catalogue's).",
        "지시문", "수정한 지시문(비우면 카탈로그의 지시문).", "task")
    property: Property | None = option(
        None, "Property to extract", "extract_property only: the membrane property to extract.",
        "추출할 물성", "extract_property 과제 전용: 추출할 막 물성.", "task",
        labels={"water_uptake": ("water uptake", "함수율"),
                "ion_exchange_capacity": ("ion-exchange capacity", "이온 교환 용량"),
                "ion_conductivity": ("ion conductivity", "이온 전도도")})
    # -- running and output
    concurrency: int = option(
        8, "Requests at once", "Requests in flight at once.",
        "동시 요청 수", "한 번에 보내는 요청 수.", "run", ge=1, le=512)
    out: str = option(
        "", "New dataset name", "Name of the dataset to write.",
        "새 데이터셋 이름", "만들 데이터셋의 이름.", "output")
    overwrite: bool = option(
        False, "Replace an existing dataset", "Replace a dataset of that name if there is one.",
        "기존 데이터셋 교체", "같은 이름의 데이터셋이 있으면 바꿉니다.", "output")
    # -- cost
    prices: dict[str, dict[str, float]] | None = option(
        None, "Prices (USD per 1M tokens)",
        "Price table by model, e.g. gpt-4o=2.5/10,gpt-4o-mini=0.15/0.6 (empty = the built-in table).",
        "가격(100만 토큰당 USD)",
        "모델별 가격표, 예: gpt-4o=2.5/10,gpt-4o-mini=0.15/0.6 (비우면 기본 가격표).", "cost")
    batch_api: bool = option(
        False, "Use the OpenAI Batch API", "Half price, answers within 24 h; the preview always asks live.",
        "OpenAI 배치 API 사용", "가격은 절반, 답변은 24시간 이내. 미리 보기는 항상 바로 요청합니다.", "cost")
    batch_poll_s: float = option(
        10.0, "Batch status every (s)", "Seconds between Batch API status checks.",
        "배치 상태 확인 간격(초)", "배치 API 상태를 확인하는 간격(초).", "cost", gt=0)

    @model_validator(mode="before")
    @classmethod
    def _older_layout(cls, data: Any) -> Any:
        """Accept `llm: {…}` (an LLMSettings or its dict) and `timeout_s`, as older configs wrote them."""
        if isinstance(data, dict) and "llm" in data:
            data = dict(data)
            llm = data.pop("llm")
            llm = llm.model_dump() if isinstance(llm, BaseModel) else dict(llm or {})
            data = {**llm, **data}
        if isinstance(data, dict) and "timeout_s" in data:
            data = {**data, "timeout": data["timeout_s"]}
            data.pop("timeout_s")
        return data

    @field_validator("prices", mode="before")
    @classmethod
    def _price_text(cls, value: Any) -> Any:
        """'gpt-4o=2.5/10,gpt-4o-mini=0.15/0.6' (the CLI's form) → {model: {input, output}}."""
        if not isinstance(value, str):
            return value
        table = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            model, eq, price = item.partition("=")
            inp, slash, outp = price.partition("/")
            try:
                if not (eq and slash and model.strip()):
                    raise ValueError
                table[model.strip()] = {"input": float(inp), "output": float(outp)}
            except ValueError:
                raise ValueError(f"{item!r}: write MODEL=INPUT/OUTPUT, e.g. gpt-4o=2.5/10") from None
        return table or None

    @field_validator("prices")
    @classmethod
    def _prices_not_negative(cls, value: Any) -> Any:
        for model, price in (value or {}).items():
            if set(price) != {"input", "output"} or min(price.values()) < 0:
                raise ValueError(f"{model}: give an input and an output price, neither below 0")
        return value

    @builtins.property  # `property` is an option's name in this class
    def llm(self) -> LLMSettings:
        """The teacher's settings of this run."""
        return LLMSettings(**self.model_dump(include=set(LLMSettings.model_fields)))


class ImportConfig(DedupOptions):
    """The options of an import (the CLI's `import` and the Data tab's Import section)."""

    model_config = ConfigDict(extra="forbid")

    format: ImportFormat = option(
        "auto", "Format",
        "auto (Alpaca, ShareGPT or messages files), one of those, or a public set's converter: hydra, camel, "
        "chemrxiv.",
        "형식",
        "자동 감지(Alpaca, ShareGPT, OpenAI 메시지 파일), 그중 하나, 또는 공개 데이터셋 변환기: `hydra`, "
        "`camel`, `chemrxiv`.",
        "import",
        labels={"auto": ("auto-detect", "자동 감지"), "alpaca": ("Alpaca", "Alpaca"),
                "sharegpt": ("ShareGPT", "ShareGPT"), "messages": ("OpenAI messages", "OpenAI 메시지"),
                "chemtune": ("chemtune", "chemtune"), "hydra": ("HydraLM chemistry", "하이드라LM 화학"),
                "camel": ("CAMEL chemistry", "CAMEL 화학"),
                "chemrxiv": ("ChemRxiv keywords", "켐아카이브 키워드")})
    split: str = option(
        "train", "Split", "Split of a Hugging Face dataset.",
        "분할", "Hugging Face 데이터셋의 분할.", "import")
    limit: int = option(
        0, "Records to import", "Only the first N rows (0 = all).",
        "가져올 레코드 수", "앞의 N개 행만 가져옵니다(0이면 전체).", "import", ge=0)


def make_generate_config(values: dict[str, Any] | None, where: str = "generation options") -> GenerateConfig:
    """Validate generation options (unset ones take their defaults); errors name the option."""
    return options.make(GenerateConfig, values, where, noun="generation option")


def make_import_config(values: dict[str, Any] | None, where: str = "import options") -> ImportConfig:
    return options.make(ImportConfig, values, where, noun="import option")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The options in a YAML file (a generate job's config.yaml works: its 'kind' key is ignored)."""
    data = options.read_config_file(path)
    return make_generate_config(data, where=str(path)).model_dump(exclude_unset=True)


def to_yaml_dict(config: GenerateConfig) -> dict[str, Any]:
    """What a generate job's config.yaml holds: every declared option, by its name."""
    return config.model_dump(mode="json")
