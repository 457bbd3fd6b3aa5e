"""Training examples from named datasets: mixing by weight, prompts from prompting.py, length handling,
and batches that spend little compute on padding (grouped by length, or padding-free)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from chemtune import prompting, records
from chemtune.errors import ChemtuneError
from chemtune.train.config import TrainConfig, dataset_weight

# Batches are sorted by length inside windows of this many batches: little padding, yet a random order.
LENGTH_GROUP_WINDOW = 64
PAD_MULTIPLE = 8


@dataclass
class PreparedData:
    """Tokenized train and validation examples plus the counts a user should see."""

    train: list[dict]
    val: list[dict]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def train_tokens(self) -> int:
        return sum(len(example["input_ids"]) for example in self.train)


def load_sources(names: list[str]) -> list[tuple[str, float, list[records.Record]]]:
    """(name, weight, records) for each 'name[:weight]'; an unknown or empty dataset is a clear error."""
    sources = []
    for item in names:
        name, weight = dataset_weight(item)
        found = records.load_dataset_records(name)
        if not found:
            raise ChemtuneError(f"Dataset {name!r} has no records; add some in the Data tab or choose "
                                "another.",
                                ko=f"데이터셋 {name!r}에 레코드가 없습니다; Data 탭에서 레코드를 추가하거나 "
                                   "다른 데이터셋을 고르세요.")
        sources.append((name, weight, found))
    return sources


def split_and_mix(sources: list[tuple[str, float, list[records.Record]]], val_split: float,
                  seed: int) -> tuple[list[records.Record], list[records.Record], dict[str, dict]]:
    """Hold out a validation share of each dataset, then repeat or subsample the rest by its weight.

    The split comes first so that a repeated record never lands in both train and validation."""
    rng = random.Random(seed)
    train, val, per_dataset = [], [], {}
    for name, weight, found in sources:
        order = list(found)
        rng.shuffle(order)
        n_val = int(round(len(order) * val_split)) if len(order) > 1 else 0
        held, rest = order[:n_val], order[n_val:]
        whole, fraction = int(weight), weight - int(weight)
        mixed = rest * whole + rest[: int(round(len(rest) * fraction))]
        train.extend(mixed)
        val.extend(held)
        per_dataset[name] = {"records": len(found), "weight": weight, "train": len(mixed), "val": len(held)}
    rng.shuffle(train)
    return train, val, per_dataset


def tokenize_records(tokenizer: Any, items: list[records.Record], max_length: int,
                     overlong: str) -> tuple[list[dict], dict[str, int]]:
    """Render each record with prompting.build_prompt and tokenize it (labels -100 on the prompt).

    Returns the examples and counts: truncated, dropped (too long with overlong='drop'), and no_response
    (the prompt alone fills the max length, so nothing would be learned)."""
    counts = {"truncated": 0, "dropped": 0, "no_response": 0}
    examples = []
    cache: dict[tuple, dict] = {}  # a record repeated by its weight is tokenized once
    for record in items:
        key = (record.system, record.instruction, record.input, record.output)
        if key not in cache:
            prompt = prompting.build_prompt(tokenizer, record.system, record.instruction, record.input,
                                            record.output)
            cache[key] = prompting.tokenize_for_training(tokenizer, prompt, max_length)
        example = cache[key]
        if example["truncated"] and overlong == "drop":
            counts["dropped"] += 1
            continue
        if all(label == -100 for label in example["labels"]):
            counts["no_response"] += 1
            continue
        counts["truncated"] += int(example["truncated"])
        examples.append({"input_ids": example["input_ids"], "labels": example["labels"]})
    return examples, counts


def prepare(config: TrainConfig, tokenizer: Any) -> PreparedData:
    """Load, split, mix and tokenize the configured datasets."""
    sources = load_sources(config.data)
    train_records, val_records, per_dataset = split_and_mix(sources, config.val_split, config.seed)
    train, counts = tokenize_records(tokenizer, train_records, config.max_length, config.overlong)
    val, _ = tokenize_records(tokenizer, val_records, config.max_length, config.overlong)
    if not train:
        raise ChemtuneError(
            f"No training example is left: all {len(train_records)} are longer than the max length "
            f"({config.max_length} tokens) or have no answer inside it. Raise the max length or set "
            "longer examples to 'truncate'.",
            ko=f"남은 학습 예제가 없습니다: {len(train_records)}개 모두 최대 길이"
               f"({config.max_length} 토큰)보다 길거나 그 안에 답이 없습니다. 최대 길이를 늘리거나 "
               "긴 예제 처리를 '자르기'로 바꾸세요.")
    stats = {
        "datasets": per_dataset,
        "train_examples": len(train),
        "val_examples": len(val),
        "train_tokens": sum(len(e["input_ids"]) for e in train),
        "response_tokens": sum(sum(1 for t in e["labels"] if t != -100) for e in train),
        "max_length": config.max_length,
        **counts,
    }
    return PreparedData(train, val, stats)


def describe_length_handling(stats: dict[str, Any]) -> str:
    """One line telling the user what happened to long examples ('' when nothing did)."""
    parts = []
    if stats.get("truncated"):
        parts.append(f"{stats['truncated']} examples longer than {stats['max_length']} tokens were truncated")
    if stats.get("dropped"):
        parts.append(f"{stats['dropped']} examples longer than {stats['max_length']} tokens were dropped")
    if stats.get("no_response"):
        parts.append(f"{stats['no_response']} examples were skipped because their prompt alone fills "
                     f"{stats['max_length']} tokens")
    return "; ".join(parts) + "." if parts else ""


# --------------------------------------------------------------------------------------------------
# Batching


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle, sort by length inside windows, cut into batches, shuffle the batches.

    Examples of similar length share a batch, so padding to the batch's longest example wastes little;
    the longest batch goes first so an out-of-memory error shows at step 1, not hours in."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * LENGTH_GROUP_WINDOW
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i], reverse=True)
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    if batches:
        longest = max(range(len(batches)), key=lambda b: max(lengths[i] for i in batches[b]))
        batches[0], batches[longest] = batches[longest], batches[0]
    return batches


def shard_batches(batches: list[list[int]], rank: int, world: int) -> list[list[int]]:
    """This process's share of the batches; every process gets the same count (the list wraps around)."""
    if world == 1:
        return batches
    per_process = math.ceil(len(batches) / world)
    padded = [batches[i % len(batches)] for i in range(per_process * world)]
    return padded[rank::world]


def collate_padded(examples: list[dict], pad_id: int, attention_mask: bool = True) -> dict[str, Any]:
    """Pad to the batch's longest example (rounded up to a multiple of 8); labels -100 on padding.

    Without `attention_mask`: padding is on the right and attention is causal, so no real token ever sees
    a padding token and the mask changes nothing that is learned; leaving it out lets attention take its
    fast causal path (about a third faster on the CPU)."""
    import torch

    longest = max(len(e["input_ids"]) for e in examples)
    width = int(math.ceil(longest / PAD_MULTIPLE) * PAD_MULTIPLE)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        n = len(example["input_ids"])
        ids[row, :n] = torch.tensor(example["input_ids"])
        labels[row, :n] = torch.tensor(example["labels"])
        mask[row, :n] = 1
    if not attention_mask:
        return {"input_ids": ids, "labels": labels}
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def collate_flat(examples: list[dict]) -> dict[str, Any]:
    """Padding-free: the examples end to end in one row, positions restarting at each example.

    The attention implementation keeps the examples apart using the position ids; the first label of
    each example is ignored so no example learns to predict the next one."""
    import torch

    ids, labels, positions = [], [], []
    for example in examples:
        n = len(example["input_ids"])
        ids.extend(example["input_ids"])
        labels.extend([-100] + list(example["labels"][1:]))
        positions.extend(range(n))
    return {"input_ids": torch.tensor([ids]), "labels": torch.tensor([labels]),
            "position_ids": torch.tensor([positions])}


def collate(examples: list[dict], batching: str, pad_id: int) -> dict[str, Any]:
    """A training batch: padding-free, or padded on the right with no attention mask (see collate_padded)."""
    if batching == "padding_free":
        return collate_flat(examples)
    return collate_padded(examples, pad_id, attention_mask=False)
