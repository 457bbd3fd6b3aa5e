"""CLI: `generate`, `import`, `export` and `datasets` (the Data tab's work from the command line).

The API key is read from $OPENAI_API_KEY only (a flag would land in shell history and `ps`); a Hub token
from $HF_TOKEN.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from chemtune.datagen.dedup import DEFAULT_THRESHOLD
from chemtune.errors import ChemtuneError

GENERATE_KEYS = ("dataset", "requested", "succeeded", "failed", "cached", "deduplicated", "prompt_tokens",
                 "completion_tokens", "cost_usd")
# Config fields (dotted paths) → the flag that sets them, so a bad value is reported by its flag.
GENERATE_FLAGS = {
    "concurrency": "--concurrency", "dedup_threshold": "--dedup-threshold", "batch_poll_s": "--poll",
    "lang": "--lang", "task": "--task", "property": "--property", "llm.temperature": "--temperature",
    "llm.max_tokens": "--max-tokens", "llm.timeout_s": "--timeout", "llm.base_url": "--base-url",
    "llm.model": "--model",
}
BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
          "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}


def option_error(exc: Any, flags: dict[str, str], prefix: str = "") -> ChemtuneError:
    """A pydantic ValidationError as one line naming the flag: '--concurrency: must be at least 1'."""
    error = exc.errors()[0]
    path = ".".join(str(part) for part in error.get("loc", ()))
    name = flags.get(path, prefix + (path or "value"))
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in BOUNDS and BOUNDS[kind][0] in ctx:
        key, words = BOUNDS[kind]
        reason = f"must be {words} {ctx[key]}"
    else:
        reason = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    got = error.get("input")
    shown = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
    return ChemtuneError(f"{name}: {reason}{shown}")


def check_threshold(value: float, flag: str = "--dedup-threshold") -> None:
    """Refuse a near-duplicate threshold outside (0, 1] before any work is done."""
    if not 0.0 < value <= 1.0:
        raise ChemtuneError(f"{flag}: must be more than 0 and at most 1 (got {value!r})")


def cmd_generate(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from chemtune.cli import emit
    from chemtune.datagen.pipeline import GenerateConfig, Stats, generate_dataset
    from chemtune.datagen.sources import load_documents

    try:
        config = GenerateConfig.model_validate({
            "task": args.task,
            "lang": args.lang,
            "instruction": args.instruction,
            "property": args.property,
            "llm": {"base_url": args.base_url, "model": args.model, "temperature": args.temperature,
                    "max_tokens": args.max_tokens, "timeout_s": args.timeout,
                    "json_mode": not args.no_json_mode},
            "concurrency": args.concurrency,
            "dedup": not args.no_dedup,
            "dedup_threshold": args.dedup_threshold,
            "batch_api": args.batch_api,
            "batch_poll_s": args.poll,
        })
    except ValidationError as exc:
        raise option_error(exc, GENERATE_FLAGS) from None
    if args.limit is not None and args.limit < 1:
        raise ChemtuneError(f"--limit: must be at least 1 (got {args.limit})")
    docs = load_documents(args.source, args.text_column, args.limit, args.split)

    def progress(stats: Stats) -> None:
        if sys.stderr.isatty() or stats.done == stats.requested:
            print(
                f"\r{stats.done}/{stats.requested} documents · {stats.succeeded} ok · "
                f"{stats.failed} failed · "
                f"{stats.cached} cached",
                end="\n" if stats.done == stats.requested else "",
                file=sys.stderr,
            )

    summary = generate_dataset(
        args.out, docs, config, api_key=None, progress=progress, overwrite=args.overwrite, source=args.source
    )
    result = {key: summary[key] for key in GENERATE_KEYS}
    cost = (
        "unknown (no price for this model)" if summary["cost_usd"] is None else f"${summary['cost_usd']:.4f}"
    )
    text = (
        f"dataset {args.out}: {summary['succeeded']} records, {summary['failed']} failed, "
        f"{summary['deduplicated']} duplicates removed, {summary['cached']} from the cache; "
        f"{summary['prompt_tokens']} + {summary['completion_tokens']} tokens, cost {cost}\n{summary['path']}"
    )
    emit(args, result, text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.datagen.importers import import_dataset

    if not args.no_dedup:
        check_threshold(args.dedup_threshold)
    result = import_dataset(
        args.source,
        args.out,
        kind=args.format,
        split=args.split,
        limit=args.limit,
        dedup=not args.no_dedup,
        threshold=args.dedup_threshold,
        overwrite=args.overwrite,
    )
    emit(
        args,
        result,
        f"imported {result['imported']} records into {args.out} "
        f"({result['deduplicated']} duplicates removed)",
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.datagen import export

    if sum(bool(x) for x in (args.out, args.save_to_disk, args.push_to_hub)) != 1:
        raise ChemtuneError("Give exactly one of --out FILE, --save-to-disk DIR or --push-to-hub REPO.")
    if args.out:
        result = export.export_dataset(args.name, args.out, args.format)
    elif args.save_to_disk:
        result = export.save_to_disk(args.name, args.save_to_disk)
    else:
        result = export.push_to_hub(
            args.name, args.push_to_hub, token=os.environ.get("HF_TOKEN"), private=not args.public
        )
    emit(
        args, result, f"{result['count']} records of {args.name} → {result.get('path') or result.get('url')}"
    )
    return 0


def _part(text: str) -> dict[str, Any]:
    """'dataset=sample,langs=ko+en,tasks=qa,ratio=0.5' → a mixture part."""
    part: dict[str, Any] = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in ("dataset", "langs", "tasks", "ratio"):
            raise ChemtuneError(
                f"--part {text!r}: use dataset=NAME[,langs=ko+en][,tasks=qa+keywords][,ratio=0.5]."
            )
        part[key] = [v for v in value.split("+") if v] if key in ("langs", "tasks") else value.strip()
    if "dataset" not in part:
        raise ChemtuneError(f"--part {text!r}: dataset=NAME is missing.")
    from pydantic import ValidationError

    from chemtune.datagen.mixtures import MixturePart

    try:
        MixturePart.model_validate(part)
    except ValidationError as exc:
        raise option_error(exc, {}, prefix=f"--part {text!r}: ") from None
    return part


def cmd_datasets(args: argparse.Namespace) -> int:
    from chemtune import records
    from chemtune.cli import emit

    if args.action == "delete":
        records.delete_dataset(_required(args.name, "delete"))
        emit(args, {"deleted": args.name}, f"deleted {args.name}")
    elif args.action == "show":
        from chemtune.datagen.views import dataset_overview

        info = dataset_overview(_required(args.name, "show"))
        emit(args, info, "\n".join(f"{key}: {value}" for key, value in info.items() if key != "meta"))
    elif args.action == "mix":
        from chemtune.datagen.mixtures import build_mixture

        if not args.part:
            raise ChemtuneError("datasets mix needs at least one --part dataset=NAME[,langs=..][,ratio=..].")
        result = build_mixture(
            _required(args.out, "mix", "--out"),
            [_part(p) for p in args.part],
            seed=args.seed,
            overwrite=args.overwrite,
        )
        emit(args, result, f"mixture {args.out}: {result['count']} records")
    else:
        rows = records.list_datasets()
        lines = [
            f"{row['name']:32} {row.get('count') or 0:>7}  tasks {row.get('tasks')}  langs {row.get('langs')}"
            + (f"  ⚠️ {row['error']}" if row.get("error") else "")
            for row in rows
        ]
        emit(args, {"datasets": rows}, "\n".join(lines) or "no datasets")
    return 0


def _required(value: str | None, action: str, flag: str = "NAME") -> str:
    if not value:
        raise ChemtuneError(f"datasets {action} needs {flag}.")
    return value


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from chemtune.datagen.client import DEFAULT_BASE_URL, DEFAULT_MODEL

    p = sub.add_parser(
        "generate",
        parents=[common],
        help="generate instruction data from documents with an LLM (key from $OPENAI_API_KEY)",
    )
    p.add_argument("--task", required=True, help="task name (summarize_extract, keywords, qa, … or yours)")
    p.add_argument("--source", required=True, help="a .txt .md .jsonl .csv .pdf file, or hf:DATASET_ID")
    p.add_argument("--text-column", help="column holding the text (.jsonl/.csv/hf)")
    p.add_argument("--split", default="train", help="split of a Hugging Face dataset")
    p.add_argument("--out", required=True, help="name of the new dataset")
    p.add_argument("--base-url", default=DEFAULT_BASE_URL, help="OpenAI-compatible API URL")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    p.add_argument("--limit", type=int, help="only the first N documents")
    p.add_argument("--batch-api", action="store_true", help="use the OpenAI Batch API (half price, slower)")
    p.add_argument("--poll", type=float, default=10.0, help="seconds between Batch API status checks")
    p.add_argument("--lang", choices=["en", "ko"], help="instruction language (default: the task's)")
    p.add_argument("--instruction", help="replace the task's instruction text")
    p.add_argument(
        "--property", help="extract_property: water_uptake, ion_exchange_capacity, ion_conductivity"
    )
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--max-tokens", type=int, default=1024, help="longest answer; longer is a failure")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request before a retry")
    p.add_argument("--no-json-mode", action="store_true", help="never ask for JSON mode")
    p.add_argument("--no-dedup", action="store_true", help="keep near-duplicate records")
    p.add_argument("--dedup-threshold", type=float, default=DEFAULT_THRESHOLD,
                   help="similarity counted as duplicate")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset of that name")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "import", parents=[common], help="import a public set or an Alpaca/ShareGPT/messages file"
    )
    p.add_argument("source", help="a .jsonl .json .csv file, or hf:DATASET_ID")
    p.add_argument("--out", required=True, help="name of the new dataset")
    p.add_argument(
        "--format",
        default="auto",
        help="auto, alpaca, sharegpt, messages, chemtune, hydra, camel or chemrxiv",
    )
    p.add_argument("--split", default="train")
    p.add_argument("--limit", type=int)
    p.add_argument("--no-dedup", action="store_true", help="keep exact and near duplicates")
    p.add_argument("--dedup-threshold", type=float, default=DEFAULT_THRESHOLD)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", parents=[common], help="export a dataset (JSONL, save_to_disk, Hub)")
    p.add_argument("name", help="dataset name")
    p.add_argument("--format", default="alpaca", choices=["alpaca", "sharegpt", "messages", "chemtune"])
    p.add_argument("--out", help="file to write (.jsonl, .json or .csv)")
    p.add_argument("--save-to-disk", help="folder for datasets.save_to_disk")
    p.add_argument("--push-to-hub", help="Hub repository id (token from $HF_TOKEN)")
    p.add_argument("--public", action="store_true", help="make the Hub dataset public")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("datasets", parents=[common], help="list, show, delete or mix datasets")
    p.add_argument("action", nargs="?", default="list", choices=["list", "show", "delete", "mix"])
    p.add_argument("name", nargs="?", help="dataset name (show, delete)")
    p.add_argument("--out", help="mix: name of the new dataset")
    p.add_argument("--part", action="append", help="mix: dataset=NAME[,langs=ko+en][,tasks=qa][,ratio=0.5]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_datasets)
