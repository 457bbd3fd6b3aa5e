"""Mixtures like the paper's English / Korean / Total sets: filters by language and task over existing
datasets, each with a sampling ratio, saved as a new dataset.

A ratio of 1 takes every matching record, 0.5 a random half, 2 every record twice (upsampling).
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chemtune.errors import ChemtuneError
from chemtune.records import Record, load_dataset_records, save_dataset


class MixturePart(BaseModel):
    """One ingredient: records of `dataset` whose language and task pass the filters, times `ratio`."""

    dataset: str = Field(description="Dataset name ('sample' is the bundled set).")
    langs: list[str] = Field(default_factory=list, description="Keep these languages (empty: all).")
    tasks: list[str] = Field(default_factory=list, description="Keep these tasks (empty: all).")
    ratio: float = Field(1.0, ge=0, le=100, description="Share of the matching records to take (2 = twice).")


def matching(records: list[Record], part: MixturePart) -> list[Record]:
    return [
        r
        for r in records
        if (not part.langs or r.lang in part.langs) and (not part.tasks or r.task in part.tasks)
    ]


def sample(records: list[Record], ratio: float, rng: random.Random) -> list[Record]:
    """`ratio` × the records: whole copies, then a random share of the rest."""
    whole, share = int(ratio), ratio - int(ratio)
    taken = [record for _ in range(whole) for record in records]
    count = round(share * len(records))
    return taken + (rng.sample(records, count) if count else [])


def mix(parts: list[MixturePart | dict], seed: int = 0) -> tuple[list[Record], list[dict[str, Any]]]:
    """The mixed records (shuffled with `seed`) and, per part, how many matched and were taken."""
    if not parts:
        raise ChemtuneError("A mixture needs at least one part (a dataset with filters and a ratio).",
                            ko="혼합에는 부분(필터와 비율이 있는 데이터셋)이 하나 이상 필요합니다.")
    rng = random.Random(seed)
    mixed, report = [], []
    cache: dict[str, list[Record]] = {}
    for number, raw in enumerate(parts, start=1):
        try:
            part = raw if isinstance(raw, MixturePart) else MixturePart.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(key) for key in error["loc"]) or "part"
            message = error["msg"].removeprefix("Value error, ")
            raise ChemtuneError(f"Mixture part {number}, {field}: {message} (got {error.get('input')!r}).",
                                ko=f"혼합 부분 {number}, {field}: {message} (입력값: "
                                   f"{error.get('input')!r}).") \
                from None
        if part.dataset not in cache:
            cache[part.dataset] = load_dataset_records(part.dataset)
        matched = matching(cache[part.dataset], part)
        if not matched:
            filters = f"languages {part.langs or 'any'}, tasks {part.tasks or 'any'}"
            raise ChemtuneError(f"Mixture part {number} ({part.dataset}, {filters}) matches no record.",
                                ko=f"혼합 부분 {number}({part.dataset}, {filters})에 맞는 레코드가 없습니다.")
        taken = sample(matched, part.ratio, rng)
        mixed += taken
        report.append({**part.model_dump(), "matched": len(matched), "taken": len(taken)})
    rng.shuffle(mixed)
    return mixed, report


def build_mixture(
    name: str, parts: list[MixturePart | dict], seed: int = 0, overwrite: bool = False
) -> dict[str, Any]:
    """Mix and save as dataset `name`; returns the per-part report and the total."""
    records, report = mix(parts, seed)
    folder = save_dataset(
        name, records, {"origin": "mixture", "mixture": report, "seed": seed}, overwrite=overwrite
    )
    return {"dataset": name, "count": len(records), "parts": report, "path": str(folder)}
