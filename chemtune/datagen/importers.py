"""Converters for the paper's public sets and any instruction file, into named datasets.

- `hydra`: HydraLM/chemistry_dataset_alpaca — `input` is the question, `output` the answer.
- `camel`: camel-ai/chemistry — `message_1` the question, `message_2` the answer (topic kept in meta).
- `chemrxiv`: ChemRxiv papers — the abstract becomes a keyword-extraction example whose answer is the
  authors' own keywords, as `{"keywords": [...]}` (the `keywords` task's format).
- `alpaca`, `sharegpt`, `messages`, `chemtune`, `auto`: any instruction file, via chemtune.formats.

A source is a local file (.jsonl .json .csv) or `hf:<dataset id>` (read with `datasets.load_dataset`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chemtune.datagen.dedup import DEFAULT_THRESHOLD
from chemtune.datagen.sources import HF_PREFIX
from chemtune.datagen.tasks import TASKS
from chemtune.errors import ChemtuneError
from chemtune.formats import FORMATS, read_rows, records_from_rows
from chemtune.records import Record, save_dataset, validate_record

CONVERTERS = ("hydra", "camel", "chemrxiv")
KINDS = ("auto", *FORMATS, *CONVERTERS)


def _need(row: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    missing = [name for name in fields if name not in row]
    if missing:
        shown = ", ".join(sorted(row)) or "none"
        raise ChemtuneError(
            f"{where}: field(s) {', '.join(repr(m) for m in missing)} missing (fields: {shown}).",
            ko=f"{where}: 필드 {', '.join(repr(m) for m in missing)}이(가) 없습니다(있는 필드: {shown})."
        )


def _hydra(row: dict[str, Any], where: str) -> Record:
    _need(row, ("input", "output"), where)
    instruction = str(row.get("instruction") or "").strip()
    question = str(row.get("input") or "")  # a null input is no question, not the text "None"
    # Some copies put the question under "instruction" and leave "input" empty.
    if not question.strip():
        question, instruction = instruction, ""
    record = {
        "task": "qa",
        "instruction": question,
        "input": instruction if instruction != question else "",
        "output": row["output"],
        "source": "HydraLM/chemistry_dataset_alpaca",
    }
    return validate_record(record, where)


def _camel(row: dict[str, Any], where: str) -> Record:
    _need(row, ("message_1", "message_2"), where)
    meta = {key: row[key] for key in ("role_1", "topic;", "topic", "sub_topic") if row.get(key)}
    record = {
        "task": "qa",
        "instruction": row["message_1"],
        "input": "",
        "output": row["message_2"],
        "source": "camel-ai/chemistry",
        "meta": {k.rstrip(";"): v for k, v in meta.items()} or None,
    }
    return validate_record(record, where)


def _keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        text = value.strip()
        items = None
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                pass  # "[2+2] photocycloaddition; ..." starts with a bracket but is a plain list
        if not isinstance(items, list):
            items = re.split(r"[;,]", text)
    else:
        items = []
    return [str(item).strip().strip("'\"") for item in items if str(item).strip().strip("'\"")]


def _chemrxiv(row: dict[str, Any], where: str) -> Record:
    _need(row, ("abstract", "keywords"), where)
    keywords = _keywords(row["keywords"])
    if not keywords:
        raise ChemtuneError(f"{where}: field 'keywords' is empty.",
                            ko=f"{where}: 'keywords' 필드가 비어 있습니다.")
    task = TASKS["keywords"]
    source = "ChemRxiv" + (f": {row['doi']}" if row.get("doi") else "")
    record = {
        "task": "keywords",
        "lang": "en",
        "instruction": task.instruction_text("en"),
        "input": row["abstract"],
        "output": json.dumps({"keywords": keywords}, ensure_ascii=False),
        "source": source,
        "meta": {"title": row["title"]} if row.get("title") else None,
    }
    return validate_record(record, where)


CONVERT: dict[str, Callable[[dict[str, Any], str], Record]] = {
    "hydra": _hydra,
    "camel": _camel,
    "chemrxiv": _chemrxiv,
}


def _hf_rows(dataset_id: str, split: str) -> list[tuple[str, Any]]:
    from chemtune.datagen.sources import load_hf

    data = load_hf(dataset_id, split)
    return [(f"{dataset_id}[{split}] row {i}", row) for i, row in enumerate(data, start=1)]


def guess_kind(source: str) -> str:
    """The converter a well-known hub id needs, else 'auto'."""
    lowered = source.lower()
    if "hydralm" in lowered or "chemistry_dataset_alpaca" in lowered:
        return "hydra"
    if "camel" in lowered:
        return "camel"
    if "chemrxiv" in lowered:
        return "chemrxiv"
    return "auto"


def read_source_records(
    source: str | Path, kind: str = "auto", split: str = "train", limit: int | None = None
) -> list[Record]:
    """Records from a file or `hf:<id>` with converter `kind` (see KINDS)."""
    source = str(source)
    if kind not in KINDS:
        raise ChemtuneError(f"Unknown import format {kind!r}; use one of {', '.join(KINDS)}.",
                            ko=f"알 수 없는 가져오기 형식 {kind!r}; {', '.join(KINDS)} 중 하나를 쓰세요.")
    if source.startswith(HF_PREFIX):
        rows = _hf_rows(source[len(HF_PREFIX) :], split)
        if kind == "auto":
            kind = guess_kind(source)
    else:
        if not Path(source).exists():
            raise ChemtuneError(f"{source}: file not found.",
                                ko=f"{source}: 파일이 없습니다.")
        rows = read_rows(source)
    if limit:
        rows = rows[:limit]
    if not rows:
        raise ChemtuneError(f"{source}: contains no rows.",
                            ko=f"{source}: 행이 없습니다.")
    if kind in CONVERT:
        converted = []
        for where, row in rows:
            if not isinstance(row, dict):
                raise ChemtuneError(f"{where}: expected a JSON object.",
                                    ko=f"{where}: JSON 객체여야 합니다.")
            converted.append(CONVERT[kind](row, where))
        return converted
    return records_from_rows(rows, kind)


def import_dataset(
    source: str | Path,
    name: str,
    kind: str = "auto",
    split: str = "train",
    limit: int | None = None,
    dedup: bool = True,
    threshold: float = DEFAULT_THRESHOLD,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Import a public set or a file as dataset `name`; returns counts (and duplicates removed)."""
    from chemtune.datagen.dedup import dedup_records

    records = read_source_records(source, kind, split, limit)
    removed = 0
    if dedup:
        records, duplicates = dedup_records(records, threshold)
        removed = len(duplicates)
    meta = {
        "origin": "import",
        "source": str(source),
        "format": kind,
        "dedup": {"enabled": dedup, "threshold": threshold, "removed": removed},
    }
    folder = save_dataset(name, records, meta, overwrite=overwrite)
    return {"dataset": name, "imported": len(records), "deduplicated": removed, "path": str(folder)}
