"""Datasets out: JSONL/JSON/CSV in Alpaca, ShareGPT or messages shape, a `datasets.save_to_disk` folder,
or the Hugging Face Hub (`push_to_hub`; needs internet and a token, which is passed on, never stored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.formats import export_records, to_hf_dataset
from chemtune.records import load_dataset_records


def export_dataset(name: str, path: Path | str, fmt: str = "alpaca") -> dict[str, Any]:
    """Write dataset `name` to `path` (.jsonl, .json or .csv) in `fmt`."""
    records = load_dataset_records(name)
    written = export_records(records, path, fmt)
    return {"dataset": name, "format": fmt, "path": str(written), "count": len(records)}


def save_to_disk(name: str, path: Path | str) -> dict[str, Any]:
    """Save dataset `name` as a `datasets.Dataset` folder (load it back with `datasets.load_from_disk`)."""
    records = load_dataset_records(name)
    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise ChemtuneError(f"{target} exists and is not empty; choose a new folder.",
                            ko=f"{target}이(가) 이미 있고 비어 있지 않습니다; 새 폴더를 고르세요.")
    to_hf_dataset(records).save_to_disk(str(target))
    return {"dataset": name, "path": str(target), "count": len(records)}


def push_to_hub(name: str, repo_id: str, token: str | None = None, private: bool = True) -> dict[str, Any]:
    """Upload dataset `name` to the Hub as `repo_id` (the real `Dataset.push_to_hub` call)."""
    if not repo_id or "/" not in repo_id:
        raise ChemtuneError(f"Hub repository {repo_id!r}: use the form 'user-or-org/dataset-name'.",
                            ko=f"Hub 저장소 {repo_id!r}: 'user-or-org/dataset-name' 형식을 쓰세요.")
    records = load_dataset_records(name)
    try:
        to_hf_dataset(records).push_to_hub(repo_id, token=token or None, private=private)
    except Exception as exc:  # offline, no token, no permission: say which, without the token
        message = str(exc)
        if token:
            message = message.replace(token, "***")
        raise ChemtuneError(f"Could not push {name!r} to the Hub as {repo_id!r}: {type(exc).__name__}: "
                            f"{message[:300]}",
                            ko=f"{name!r}을(를) Hub에 {repo_id!r}(으)로 올리지 못했습니다: "
                               f"{type(exc).__name__}: "
                               f"{message[:300]}") from None
    return {"dataset": name, "repo_id": repo_id, "count": len(records),
            "url": f"https://huggingface.co/datasets/{repo_id}"}
