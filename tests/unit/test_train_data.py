"""Training examples: prompts masked in the labels, mixing by weight, long records, little padding."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune import models, prompting, records
from chemtune.errors import ChemtuneError
from chemtune.train import data
from chemtune.train.config import make_config


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    path = models.build_tiny(tmp_path_factory.mktemp("models") / "tiny")
    return str(path), models.load_tokenizer(str(path))


def chem_records(n: int, prefix: str = "q", long_every: int = 0) -> list[dict]:
    rows = []
    for i in range(n):
        output = f"The molar mass of compound {prefix}{i} is {12 + i} g/mol."
        if long_every and i % long_every == 0:
            output = " ".join(["Sulfuric acid is a strong diprotic acid."] * 40)
        rows.append({"instruction": f"Give the molar mass of {prefix}{i}.", "input": "", "output": output,
                     "lang": "en", "task": "qa"})
    rows.append({"instruction": f"{prefix}: 황산의 화학식은?", "output": "H2SO4입니다.", "task": "qa"})
    return rows


def test_prompt_tokens_are_masked_and_response_tokens_are_learned(tiny) -> None:
    _, tokenizer = tiny
    record = records.validate_record({"system": "You are a chemist.", "instruction": "What is NaCl?",
                                      "input": "Table salt.", "output": "Sodium chloride."}, "test")
    examples, counts = data.tokenize_records(tokenizer, [record], 256, "truncate")
    ids, labels = examples[0]["input_ids"], examples[0]["labels"]
    prompt = prompting.build_prompt(tokenizer, record.system, record.instruction, record.input, record.output)
    n_prompt = len(tokenizer(prompt.prompt, add_special_tokens=False)["input_ids"])
    assert labels[:n_prompt] == [-100] * n_prompt
    assert labels[n_prompt:] == ids[n_prompt:]
    learned = tokenizer.decode([t for t in labels if t != -100])
    assert learned.startswith("Sodium chloride.") and "What is NaCl" not in learned
    assert counts == {"truncated": 0, "dropped": 0, "no_response": 0}


def test_weights_repeat_or_subsample_and_validation_never_overlaps_train() -> None:
    a = [records.validate_record(r, "a") for r in chem_records(20, "a")]
    b = [records.validate_record(r, "b") for r in chem_records(20, "b")]
    train, val, per = data.split_and_mix([("a", 2.0, a), ("b", 0.5, b)], val_split=0.1, seed=1)
    assert per["a"] == {"records": 21, "weight": 2.0, "train": 38, "val": 2}
    assert per["b"] == {"records": 21, "weight": 0.5, "train": 10, "val": 2}
    assert len(train) == 48 and len(val) == 4
    assert not {r.id for r in val} & {r.id for r in train}


def test_long_records_are_truncated_or_dropped_and_counted(tiny) -> None:
    model, tokenizer = tiny
    rows = chem_records(12, long_every=4)
    rows.append({"instruction": "Explain. " + "Acids donate protons. " * 60, "output": "Briefly: protons."})
    records.save_dataset("mixed", rows)
    options = {"model": model, "data": ["mixed"], "max_length": 200, "val_split": 0}
    truncated = data.prepare(make_config(options), tokenizer)
    stats = truncated.stats
    assert (stats["truncated"], stats["dropped"], stats["no_response"]) == (3, 0, 1)
    assert len(truncated.train) == 13
    assert max(len(e["input_ids"]) for e in truncated.train) == 200
    note = data.describe_length_handling(truncated.stats)
    assert "3 examples longer than 200 tokens were truncated" in note
    assert "1 examples were skipped because their prompt alone fills 200 tokens" in note
    dropped = data.prepare(make_config({**options, "overlong": "drop"}), tokenizer)
    assert dropped.stats["dropped"] == 4 and len(dropped.train) == 10
    with pytest.raises(ChemtuneError, match="No training example is left"):
        data.prepare(make_config({**options, "max_length": 16, "overlong": "drop"}), tokenizer)


def test_unknown_and_empty_datasets_are_clear_errors(isolated_workspace: Path) -> None:
    with pytest.raises(ChemtuneError, match="No dataset named 'nope'"):
        data.load_sources(["nope"])
    folder = isolated_workspace / "datasets" / "empty"
    folder.mkdir(parents=True)
    (folder / "records.jsonl").write_text("")
    with pytest.raises(ChemtuneError, match="Dataset 'empty' has no records"):
        data.load_sources(["empty"])


def test_length_grouping_wastes_far_less_padding_than_random_batches() -> None:
    import random

    rng = random.Random(0)
    lengths = [rng.randint(20, 500) for _ in range(512)]
    batches = data.length_grouped_batches(lengths, 8, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(512))

    def padding(bs: list[list[int]]) -> float:
        padded = sum(max(lengths[i] for i in b) * len(b) for b in bs)
        return 1 - sum(lengths) / padded

    shuffled = list(range(512))
    rng.shuffle(shuffled)
    random_batches = [shuffled[i:i + 8] for i in range(0, 512, 8)]
    assert padding(batches) < 0.05 < 0.3 < padding(random_batches)
    assert max(lengths[i] for i in batches[0]) == max(lengths)  # out-of-memory shows at step 1


def test_sharding_gives_every_process_the_same_number_of_batches() -> None:
    batches = [[i] for i in range(5)]
    shards = [data.shard_batches(batches, rank, 2) for rank in range(2)]
    assert [len(s) for s in shards] == [3, 3]
    assert sorted(b[0] for s in shards for b in s) == [0, 0, 1, 2, 3, 4]  # one batch is reused


def test_padding_free_batch_gives_the_same_loss_as_a_padded_one(tiny) -> None:
    import torch

    model_path, tokenizer = tiny
    model, _ = models.load_model(model_path)
    rows = [records.validate_record(r, "t") for r in chem_records(3)]
    examples, _ = data.tokenize_records(tokenizer, rows, 128, "truncate")
    flat = data.collate_flat(examples)
    padded = data.collate_padded(examples, tokenizer.pad_token_id)
    assert flat["input_ids"].shape[1] == sum(len(e["input_ids"]) for e in examples)
    assert padded["input_ids"].shape[1] % 8 == 0
    with torch.no_grad():
        items = torch.tensor(sum(sum(1 for t in e["labels"][1:] if t != -100) for e in examples))
        loss_flat = model(**flat, num_items_in_batch=items, use_cache=False).loss
        loss_padded = model(**padded, num_items_in_batch=items, use_cache=False).loss
    assert torch.allclose(loss_flat, loss_padded, atol=1e-4)


def test_loss_from_response_logits_only_equals_the_full_loss(tiny) -> None:
    import torch

    from chemtune.train.model import response_loss, supports_logits_mask

    model_path, tokenizer = tiny
    model, _ = models.load_model(model_path)
    assert supports_logits_mask(model)
    rows = [records.validate_record(r, "t") for r in chem_records(4)]
    examples, _ = data.tokenize_records(tokenizer, rows, 128, "truncate")
    items = torch.tensor(sum(sum(1 for t in e["labels"][1:] if t != -100) for e in examples))
    with torch.no_grad():
        batches = (data.collate_padded(examples, tokenizer.pad_token_id), data.collate_flat(examples),
                   data.collate(examples, "group_by_length", tokenizer.pad_token_id))
        assert "attention_mask" not in batches[2]  # right padding + causal attention: the mask is not needed
        for batch in batches:
            full = model(**batches[0], num_items_in_batch=items, use_cache=False).loss
            assert torch.allclose(response_loss(model, batch, items), full, atol=1e-5)
            assert torch.allclose(response_loss(model, batch, items, logits_for_responses=False), full)
