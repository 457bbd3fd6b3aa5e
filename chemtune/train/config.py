"""Every training option, declared once.

Each option is one pydantic field with its default and description. The YAML key is the field name, the
CLI flag is `--field-name`, and the UI widget (label, help, choices, group) is read from the same field:
`title` is the English label, `description` the English help, and `json_schema_extra` holds the Korean
label and help ("ko", "ko_help") and the UI group. Nothing about an option is written anywhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from chemtune import options
from chemtune.errors import ChemtuneError
from chemtune.options import option

GROUPS = ("data", "schedule", "lora", "hardware", "logging")


class TrainConfig(BaseModel):
    """The options of one LoRA training run (config.yaml of a train run holds exactly these)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # -- what to train on
    model: str = option(
        "tiny",
        "Base model",
        "A preset (llama-2-7b, smollm2-135m-instruct, tiny …), a Hugging Face hub id, a local model folder "
        "or a .gguf file.",
        "기본 모델",
        "프리셋(llama-2-7b, smollm2-135m-instruct, tiny …), 허브 ID, 로컬 모델 폴더 또는 .gguf 파일.",
        "data",
    )
    data: list[str] = option(
        ["sample"],
        "Datasets",
        "Dataset names, each optionally with a weight: 'chem-ko:2' uses every record twice per epoch, "
        "'chem-en:0.5' half of them.",
        "데이터셋",
        "데이터셋 이름. 가중치를 붙일 수 있습니다: `chem-ko:2`는 에포크마다 두 번, `chem-en:0.5`는 절반만 "
        "사용합니다.",
        "data",
    )
    max_length: int = option(
        1024,
        "Max length (tokens)",
        "Longest training example in tokens; longer ones are truncated or dropped.",
        "최대 길이(토큰)",
        "학습 예제의 최대 토큰 수. 더 긴 예제는 자르거나 버립니다.",
        "data",
        ge=16, le=131072,
    )
    overlong: Literal["truncate", "drop"] = option(
        "truncate",
        "Longer examples",
        "What to do with an example longer than the max length.",
        "긴 예제 처리",
        "최대 길이보다 긴 예제를 자를지 버릴지.",
        "data",
        labels={"truncate": ("truncate", "자르기"), "drop": ("drop", "버리기")},
    )
    val_split: float = option(
        0.05,
        "Validation share",
        "Share of the examples held out to measure eval loss (0 = none).",
        "검증 비율",
        "검증 손실 측정용으로 떼어 둘 예제의 비율(0이면 없음).",
        "data",
        ge=0.0, lt=0.5,
    )
    # -- schedule
    epochs: float = option(
        3.0,
        "Epochs",
        "Passes over the data (ignored when max steps is set).",
        "에포크",
        "데이터를 몇 번 학습할지(최대 스텝을 정하면 무시).",
        "schedule",
        gt=0.0,
    )
    max_steps: int = option(
        0,
        "Max steps",
        "Stop after this many optimizer steps (0 = use epochs).",
        "최대 스텝",
        "이 횟수의 옵티마이저 스텝 후 멈춤(0이면 에포크 사용).",
        "schedule",
        ge=0,
    )
    batch_size: int = option(
        4,
        "Batch size",
        "Examples per device per forward pass.",
        "배치 크기",
        "장치 하나가 한 번에 처리하는 예제 수.",
        "schedule",
        ge=1,
    )
    grad_accum: int = option(
        4,
        "Gradient accumulation",
        "Forward passes per optimizer step (effective batch = batch × this × GPUs).",
        "그래디언트 누적",
        "옵티마이저 스텝당 순전파 횟수(실효 배치 = 배치 × 누적 × GPU 수).",
        "schedule",
        ge=1,
    )
    learning_rate: float = option(
        0.0002,
        "Learning rate",
        "Peak learning rate of the LoRA weights.",
        "학습률",
        "LoRA 가중치의 최대 학습률.",
        "schedule",
        gt=0.0, le=1.0,
    )
    scheduler: Literal["cosine", "linear", "constant", "constant_with_warmup"] = option(
        "cosine",
        "LR scheduler",
        "How the learning rate changes after warmup.",
        "학습률 스케줄러",
        "웜업 이후 학습률이 변하는 방식.",
        "schedule",
        labels={"cosine": ("cosine", "코사인"), "linear": ("linear", "선형"),
                "constant": ("constant", "상수"),
                "constant_with_warmup": ("constant with warmup", "웜업 후 상수")},
    )
    warmup_ratio: float = option(
        0.03,
        "Warmup share",
        "Share of the steps spent raising the learning rate from 0.",
        "웜업 비율",
        "학습률을 0에서 올리는 데 쓰는 스텝 비율.",
        "schedule",
        ge=0.0, le=0.5,
    )
    weight_decay: float = option(
        0.0,
        "Weight decay",
        "AdamW weight decay on the LoRA weights.",
        "가중치 감쇠",
        "LoRA 가중치에 적용할 AdamW 가중치 감쇠.",
        "schedule",
        ge=0.0, le=1.0,
    )
    seed: int = option(
        42,
        "Seed",
        "Random seed for data order, split and LoRA initialisation.",
        "시드",
        "데이터 순서, 분할, LoRA 초기화를 위한 난수 시드.",
        "schedule",
    )
    # -- LoRA
    lora_rank: int = option(
        16,
        "LoRA rank",
        "Rank r of the LoRA matrices.",
        "LoRA 랭크",
        "LoRA 행렬의 랭크 r.",
        "lora",
        ge=1, le=1024,
    )
    lora_alpha: float = option(
        32,
        "LoRA alpha",
        "Scaling numerator: updates are scaled by alpha / r.",
        "LoRA 알파",
        "스케일 분자: 업데이트에 α / r을 곱합니다.",
        "lora",
        gt=0,
    )
    lora_dropout: float = option(
        0.0,
        "LoRA dropout",
        "Dropout on the LoRA path; the paper uses none.",
        "LoRA 드롭아웃",
        "LoRA 경로의 드롭아웃. 논문은 사용하지 않습니다.",
        "lora",
        ge=0.0, lt=1.0,
    )
    target_modules: str = option(
        "all-linear",
        "Target modules",
        "'all-linear' (every attention and MLP projection) or a comma list such as q_proj,v_proj.",
        "대상 모듈",
        "`all-linear`(모든 어텐션·MLP 투영) 또는 q_proj,v_proj 같은 쉼표 목록.",
        "lora",
    )
    use_rslora: bool = option(
        False,
        "rsLoRA",
        "Rank-stabilised scaling alpha / sqrt(r).",
        "rsLoRA",
        "랭크 안정화 스케일 α / √r.",
        "lora",
    )
    use_dora: bool = option(
        False,
        "DoRA",
        "Weight-decomposed LoRA (slower, sometimes better).",
        "DoRA",
        "가중치 분해 LoRA(느리지만 더 나을 때가 있음).",
        "lora",
    )
    # -- hardware
    precision: Literal["auto", "bf16", "fp16", "fp32"] = option(
        "auto",
        "Precision",
        "auto = bf16 on a GPU that supports it, fp16 on an older GPU, fp32 on the CPU.",
        "정밀도",
        "자동: bf16을 지원하는 GPU에서는 bf16, 이전 GPU에서는 fp16, CPU에서는 fp32.",
        "hardware",
        labels={"auto": ("auto", "자동"), "bf16": ("bf16", "bf16"), "fp16": ("fp16", "fp16"),
                "fp32": ("fp32", "fp32")},
    )
    qlora: bool = option(
        False,
        "4-bit QLoRA",
        "Load the base model in 4 bits (bitsandbytes, CUDA GPU only).",
        "4비트 QLoRA",
        "기본 모델을 4비트로 불러옵니다(bitsandbytes, CUDA GPU 전용).",
        "hardware",
    )
    gradient_checkpointing: bool = option(
        False,
        "Gradient checkpointing",
        "Recompute activations in the backward pass: less memory, ~30% slower.",
        "그래디언트 체크포인팅",
        "역전파 때 활성값을 다시 계산: 메모리는 줄고 속도는 약 30% 느려짐.",
        "hardware",
    )
    batching: Literal["group_by_length", "padding_free"] = option(
        "group_by_length",
        "Batching",
        "group_by_length pads each batch only to its longest example; padding_free packs examples into one "
        "row with no padding (best with flash attention on a GPU).",
        "배치 구성",
        "길이별 묶음은 배치를 가장 긴 예제 길이까지만 채우고, 패딩 없음은 예제를 패딩 없이 한 줄로 "
        "이어 붙입니다(GPU의 플래시 어텐션에 적합).",
        "hardware",
        labels={"group_by_length": ("group by length", "길이별 묶음"),
                "padding_free": ("padding free", "패딩 없음")},
    )
    num_processes: int = option(
        1,
        "Processes (GPUs)",
        "Training processes started by accelerate launch: one per GPU (see Multi-process mode).",
        "프로세스(GPU) 수",
        "`accelerate launch`가 시작하는 학습 프로세스 수. GPU마다 하나(다중 프로세스 방식 참고).",
        "hardware",
        ge=1, le=64,
    )
    distributed: Literal["ddp", "fsdp"] = option(
        "ddp",
        "Multi-process mode",
        "How several processes share the model. ddp: each holds a full copy (fastest when the model fits "
        "on one GPU); fsdp: weights, gradients and optimizer state are sharded across the processes, so a "
        "model too big for one GPU fits (bf16 or fp32, no QLoRA). One process ignores it.",
        "다중 프로세스 방식",
        "여러 프로세스가 모델을 나누는 방식. DDP: 프로세스마다 모델 전체를 둡니다(모델이 GPU 하나에 "
        "들어가면 가장 빠름). FSDP: 가중치·그래디언트·옵티마이저 상태를 프로세스들에 나눠 두어 GPU 하나에 "
        "들어가지 않는 모델도 학습합니다(bf16 또는 fp32, QLoRA 불가). 프로세스가 하나면 쓰이지 않습니다.",
        "hardware",
        labels={"ddp": ("DDP", "DDP"), "fsdp": ("FSDP", "FSDP")},
    )
    trust_remote_code: bool = option(
        False,
        "Trust remote code",
        "Run the model repository's own Python code (only for models you trust).",
        "원격 코드 신뢰",
        "모델 저장소의 파이썬 코드를 실행합니다(신뢰하는 모델만).",
        "hardware",
    )
    # -- logging and saving
    eval_steps: int = option(
        50,
        "Eval every (steps)",
        "Measure eval loss every this many steps (0 = at the end).",
        "평가 간격(스텝)",
        "이 스텝마다 검증 손실을 측정(0이면 마지막에만).",
        "logging",
        ge=0,
    )
    save_steps: int = option(
        100,
        "Save every (steps)",
        "Write a resumable checkpoint every this many steps.",
        "저장 간격(스텝)",
        "이 스텝마다 재개 가능한 체크포인트를 저장.",
        "logging",
        ge=1,
    )
    save_total_limit: int = option(
        2,
        "Checkpoints kept",
        "Older checkpoints are deleted beyond this many.",
        "보관할 체크포인트",
        "이 개수를 넘는 오래된 체크포인트는 삭제.",
        "logging",
        ge=1,
    )
    report_to: Literal["none", "tensorboard", "wandb"] = option(
        "none",
        "Report to",
        "Also log metrics to TensorBoard (in the run folder) or Weights & Biases.",
        "지표 전송",
        "지표를 TensorBoard(실행 폴더) 또는 Weights & Biases에도 기록.",
        "logging",
        labels={"none": ("none", "없음"), "tensorboard": ("TensorBoard", "TensorBoard"),
                "wandb": ("Weights & Biases", "Weights & Biases")},
    )
    merge: bool = option(
        False,
        "Export merged model",
        "After training, also save the base model with the adapter merged in (full size).",
        "병합 모델 내보내기",
        "학습 후 어댑터를 합친 전체 모델도 저장(전체 크기).",
        "logging",
    )

    @field_validator("data", mode="before")
    @classmethod
    def _split_data(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            return [str(item).strip() for item in value if str(item).strip()]
        return value

    @field_validator("data")
    @classmethod
    def _some_data(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("choose at least one dataset")
        for item in value:
            dataset_weight(item)
        return value

    @field_validator("target_modules")
    @classmethod
    def _modules(cls, value: str) -> str:
        value = ",".join(part.strip() for part in value.split(",") if part.strip())
        if not value:
            raise ValueError("name at least one module, or 'all-linear'")
        return value


def dataset_weight(item: str) -> tuple[str, float]:
    """'chem-ko:2' -> ('chem-ko', 2.0); a name without a weight has weight 1."""
    name, colon, weight = item.rpartition(":")
    if colon:
        try:
            value = float(weight)
        except ValueError:
            return item, 1.0  # the ':' belongs to the name
        if value <= 0:
            raise ValueError(f"the weight of dataset {name!r} must be above 0, got {weight}")
        return name, value
    return item, 1.0


def fields() -> dict[str, Any]:
    return TrainConfig.model_fields


def describe(name: str) -> dict[str, Any]:
    """What the UI and CLI need about one option: type, default, choices, labels, help, group, limits."""
    return options.describe(TrainConfig, name)


flag = options.flag


def add_cli_options(parser: Any) -> None:
    """Add one `--flag` per option to an argparse parser (default None: 'not given')."""
    options.add_cli_options(parser, TrainConfig)


def explain(error: ValidationError, where: str = "training options") -> ChemtuneError:
    """A pydantic error as one sentence naming the option."""
    return options.explain(TrainConfig, error, where, noun="training option")


def make_config(values: dict[str, Any] | None = None, where: str = "training options") -> TrainConfig:
    """Validate options (unset ones take their defaults); errors name the option."""
    return options.make(TrainConfig, values, where, noun="training option")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The options in a YAML file (a train run's config.yaml works: its 'kind' key is ignored)."""
    data = options.read_config_file(path)
    data.pop("resume", None)
    make_config(data, where=str(path))
    return data


def to_yaml_dict(config: TrainConfig) -> dict[str, Any]:
    return config.model_dump(mode="json")
