"""Is this Korean UI text? The rule the Korean walk-through tests (unit and browser) share.

A Korean page may keep Latin script only for names, which read the same in both languages. What counts
as a name, and why:

* text inside backticks: code, CLI commands, file paths, YAML keys (a user types them as written);
* URLs, and file names with a known extension (`exam.csv`, `.gguf`): a user types them as written;
* acronyms and abbreviations written in capitals (LLM, GPU, API, URL, F1, FSDP, KO/EN): Korean
  technical writing keeps them in Latin script;
* words with a digit or an underscore (`llama-2-7b`, `macro-F1`, `max_length`): identifiers;
* single letters (k-shot's k, the answer letters A–D): symbols, not words;
* the NAMES below: products, model families and formats, and the few units and metric names that have no
  Korean spelling;
* whatever a test passes as `names`: the models, datasets and runs there are (a picker lists them as
  they are called).

Anything else written in Latin letters is English UI text and a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAMES = frozenset({
    # products, projects, model families, data formats
    "chemtune", "Gradio", "Python", "PyTorch", "OpenAI", "LoRA", "QLoRA", "DeepSpeed", "Llama", "Gemma",
    "SmolLM2", "EXAONE", "Alpaca", "ShareGPT", "Hugging", "Face", "vLLM", "Ollama", "TensorBoard",
    "Weights", "Biases", "AdamW", "bitsandbytes", "rsLoRA", "DoRA", "Markdown", "LaTeX",
    # sampling parameters, units and metric names with no Korean spelling
    "Top-p", "top-p", "Top-k", "top-k", "ms", "MiB", "GiB", "chrF",
})
EXTENSIONS = ("gguf", "csv", "tsv", "jsonl", "json", "yaml", "yml", "txt", "md", "pdf", "safetensors",
              "parquet", "py", "zip")

_CODE = re.compile(r"```.*?```|`[^`]*`", re.S)
_TAG = re.compile(r"<[^>]*>")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\]\([^)]*\)")
_FILE = re.compile(r"\.?[\w.-]*\.(?:" + "|".join(EXTENSIONS) + r")\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'+-]*")
_ACRONYM = re.compile(r"[A-Z][A-Z0-9+-]*[A-Z0-9]s?")  # LLM, GPU, F1, URLs


def english_words(text: str, names: Iterable[str] = ()) -> list[str]:
    """The English words in `text` that are not names (see the module docstring), in order."""
    allowed = NAMES | set(names)
    text = _CODE.sub(" ", text or "")
    text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    # A name given whole (a model id with a slash, a run id) is dropped before the text is split into words.
    for name in sorted(allowed, key=len, reverse=True):
        if any(mark in name for mark in "/ ."):
            text = text.replace(name, " ")
    text = _FILE.sub(" ", text)
    found = []
    for word in _WORD.findall(text):
        word = word.strip("'+-")
        if not word or len(word) == 1 or word in allowed or _ACRONYM.fullmatch(word):
            continue
        if any(ch.isdigit() or ch == "_" for ch in word):
            continue
        found.append(word)
    return found


def names_in_workspace() -> set[str]:
    """What pickers list by name in $CHEMTUNE_HOME: models, datasets and runs (shown as they are called)."""
    from chemtune import models, records
    from chemtune.datagen.client import DEFAULT_PRICES
    from chemtune.train import monitor

    found = set(models.PRESETS) | {p.hub_id for p in models.PRESETS.values()} | set(models.model_choices())
    found |= {row["name"] for row in records.list_datasets()}
    found |= {row["run_id"] for row in monitor.train_runs()}
    found |= set(DEFAULT_PRICES)  # the teacher models the Data tab's price table lists
    return found


def findings(texts: Iterable[tuple[str, str]], names: Iterable[str] = ()) -> list[str]:
    """'where: "text" → English words' for every (where, text) with English UI text in it."""
    names = set(names)
    rows = []
    for where, text in texts:
        words = english_words(text, names)
        if words:
            rows.append(f"{where}: {text!r} → {', '.join(dict.fromkeys(words))}")
    return rows
