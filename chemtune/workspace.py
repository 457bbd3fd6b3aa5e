"""Where everything lives: $CHEMTUNE_HOME (default ./workspace, or persistent storage on a Hugging Face
Space), safe user names, atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from chemtune.errors import ChemtuneError

_UMASK = os.umask(0)
os.umask(_UMASK)

KINDS = ("datasets", "runs", "evals", "models", "studies")
MAX_NAME_LENGTH = 120


# A Space's persistent storage is mounted here when the Space has it; $CHEMTUNE_SPACE_DATA moves it (tests).
SPACE_DATA = "/data"


def space_data() -> Path:
    """Where a Hugging Face Space mounts persistent storage."""
    return Path(os.environ.get("CHEMTUNE_SPACE_DATA") or SPACE_DATA)


def on_space() -> bool:
    """Running on a Hugging Face Space (the Space sets SPACE_ID)."""
    return bool(os.environ.get("SPACE_ID", "").strip())


def persistent_storage() -> Path | None:
    """The Space's persistent storage folder when it is mounted and writable, else None."""
    data = space_data()
    return data if on_space() and data.is_dir() and os.access(data, os.W_OK | os.X_OK) else None


def default_home() -> Path:
    """$CHEMTUNE_HOME when set; on a Space with persistent storage `<storage>/chemtune`; else ./workspace."""
    if os.environ.get("CHEMTUNE_HOME"):
        return Path(os.environ["CHEMTUNE_HOME"])
    storage = persistent_storage()
    return storage / "chemtune" if storage is not None else Path("workspace")


def lost_on_restart() -> bool:
    """On a Space, whether the workspace lies outside persistent storage (a restart empties it)."""
    if not on_space():
        return False
    root, data = home(), space_data().resolve()
    return persistent_storage() is None or (root != data and data not in root.parents)


def home() -> Path:
    """The workspace root, created with its sub-folders on first use."""
    root = default_home().expanduser().resolve()
    for kind in KINDS:
        (root / kind).mkdir(parents=True, exist_ok=True)
    return root


# What a checked name is, in Korean (the English is the caller's own words).
NAME_KO = {"name": "이름", "run id": "실행 ID", "dataset name": "데이터셋 이름", "task name": "작업 이름",
           "study id": "연구 ID", "run name": "실행 이름", "eval name": "평가 이름",
           "model name": "모델 이름", "dataset": "데이터셋", "study name": "연구 이름"}


def check_name(name: str, what: str = "name") -> str:
    """Return `name` if it is a safe single folder name, else raise a clear ChemtuneError."""
    what_ko = NAME_KO.get(what, what)
    if not isinstance(name, str) or not name.strip():
        raise ChemtuneError(f"The {what} is empty; give it a name such as 'chem-ko-v1'.",
                            ko=f"{what_ko}이(가) 비어 있습니다; 'chem-ko-v1' 같은 이름을 주세요.")
    if name != name.strip():
        raise ChemtuneError(f"The {what} {name!r} starts or ends with spaces.",
                            ko=f"{what_ko} {name!r}이(가) 공백으로 시작하거나 끝납니다.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise ChemtuneError(f"The {what} {name!r} contains control characters.",
                            ko=f"{what_ko} {name!r}에 제어 문자가 들어 있습니다.")
    if "/" in name or "\\" in name or os.path.isabs(name):
        raise ChemtuneError(f"The {what} {name!r} must not contain '/' or '\\' or be a path.",
                            ko=f"{what_ko} {name!r}에는 '/'나 '\\'가 들어가거나 경로여서는 안 됩니다.")
    if name in (".", "..") or name.startswith("."):
        raise ChemtuneError(f"The {what} {name!r} must not start with '.'.",
                            ko=f"{what_ko} {name!r}은(는) '.'으로 시작하면 안 됩니다.")
    if len(name) > MAX_NAME_LENGTH:
        raise ChemtuneError(f"The {what} is longer than {MAX_NAME_LENGTH} characters.",
                            ko=f"{what_ko}이(가) {MAX_NAME_LENGTH}자보다 깁니다.")
    return name


def folder(kind: str, name: str, create: bool = False) -> Path:
    """The folder `$CHEMTUNE_HOME/<kind>/<name>` for a checked user name."""
    if kind not in KINDS:
        raise ValueError(f"unknown workspace kind {kind!r}")
    path = home() / kind / check_name(name, "study id" if kind == "studies" else f"{kind[:-1]} name")
    # Belt and braces: even a name that passed the checks must resolve inside the workspace.
    if home() / kind not in path.resolve().parents:
        raise ChemtuneError(f"The name {name!r} would leave the workspace.",
                            ko=f"이름 {name!r}은(는) 작업 공간 밖을 가리킵니다.")
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def datasets_dir() -> Path:
    return home() / "datasets"


def runs_dir() -> Path:
    return home() / "runs"


def evals_dir() -> Path:
    return home() / "evals"


def models_dir() -> Path:
    return home() / "models"


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write a text file so that readers see either the old or the new content, never half."""
    write_bytes_atomic(path, text.encode("utf-8"))


def keep_upload(path: Path | str) -> Path:
    """Copy an uploaded file (a temporary path) into `uploads/`, named by its content, so jobs and configs
    can still read it later; the same file uploaded twice is kept once, different files never collide."""
    import hashlib

    source = Path(path)
    data = source.read_bytes()
    target = home() / "uploads" / f"{hashlib.sha1(data).hexdigest()[:12]}-{source.name}"
    if not target.exists():
        write_bytes_atomic(target, data)
    return target


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write a file so that readers see either the old or the new content, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; use the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path | str, data: Any) -> None:
    """Atomically write `data` as pretty UTF-8 JSON (Korean stays readable)."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def read_json(path: Path | str, default: Any = None) -> Any:
    path = Path(path)
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ChemtuneError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}).",
                            ko=f"{path}: 올바른 JSON이 아닙니다({exc.lineno}번째 줄: {exc.msg}).") from None


def write_yaml(path: Path | str, data: Any) -> None:
    """Atomically write `data` as YAML, keys in the given order."""
    write_text_atomic(path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def read_yaml(path: Path | str, default: Any = None) -> Any:
    path = Path(path)
    if not path.exists():
        return default
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ChemtuneError(f"{path}: not valid YAML ({exc}).",
                            ko=f"{path}: 올바른 YAML이 아닙니다({exc}).") from None


def append_jsonl(path: Path | str, row: dict) -> None:
    """Append one JSON line; a single write() call so concurrent readers never see a partial line."""
    line = json.dumps(row, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
