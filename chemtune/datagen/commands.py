"""CLI: `generate`, `import`, `export` and `datasets` (the Data tab's work from the command line).

The API key is read from $OPENAI_API_KEY only (a flag would land in shell history and `ps`); a Hub token
from $HF_TOKEN.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from chemtune import options
from chemtune.datagen import config as generation
from chemtune.errors import ChemtuneError

GENERATE_KEYS = ("dataset", "requested", "succeeded", "failed", "cached", "deduplicated", "prompt_tokens",
                 "completion_tokens", "cost_usd")
BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
          "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
KO_BOUNDS = {"greater_than_equal": "이상", "greater_than": "초과",
             "less_than_equal": "이하", "less_than": "미만"}


def option_error(exc: Any, flags: dict[str, str], prefix: str = "") -> ChemtuneError:
    """A pydantic ValidationError as one line naming the flag: '--concurrency: must be at least 1'."""
    error = exc.errors()[0]
    path = ".".join(str(part) for part in error.get("loc", ()))
    name = flags.get(path, prefix + (path or "value"))
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in BOUNDS and BOUNDS[kind][0] in ctx:
        key, words = BOUNDS[kind]
        reason = f"must be {words} {ctx[key]}"
        ko_reason = f"{ctx[key]} {KO_BOUNDS[kind]}이어야 합니다"
    else:
        reason = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        ko_reason = reason
    got = error.get("input")
    shown = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
    ko_shown = f" (입력값: {got!r})" if shown else ""
    return ChemtuneError(f"{name}: {reason}{shown}", ko=f"{name}: {ko_reason}{ko_shown}")


def cmd_generate(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.datagen.pipeline import Stats, generate_dataset
    from chemtune.datagen.sources import load_documents

    values = generation.load_config_file(args.config) if args.config else {}
    values.update(options.from_args(generation.GenerateConfig, args))
    config = generation.make_generate_config(values)
    for name in ("source", "out"):
        if not getattr(config, name):
            raise ChemtuneError(f"generate needs {options.flag(name)} (or --config RUN/config.yaml).",
                                ko=f"generate에는 {options.flag(name)}이(가) 필요합니다(또는 --config "
                                   "RUN/config.yaml).")
    docs = load_documents(config.source, config.text_column, config.limit or None, config.split)

    def progress(stats: Stats) -> None:
        if sys.stderr.isatty() or stats.done == stats.requested:
            print(
                f"\r{stats.done}/{stats.requested} documents · {stats.succeeded} ok · "
                f"{stats.failed} failed · "
                f"{stats.cached} cached",
                end="\n" if stats.done == stats.requested else "",
                file=sys.stderr,
            )

    summary = generate_dataset(config.out, docs, config, api_key=None, progress=progress,
                               overwrite=config.overwrite, source=config.source)
    result = {key: summary[key] for key in GENERATE_KEYS}
    cost = (
        "unknown (no price for this model)" if summary["cost_usd"] is None else f"${summary['cost_usd']:.4f}"
    )
    text = (
        f"dataset {config.out}: {summary['succeeded']} records, {summary['failed']} failed, "
        f"{summary['deduplicated']} duplicates removed, {summary['cached']} from the cache; "
        f"{summary['prompt_tokens']} + {summary['completion_tokens']} tokens, cost {cost}\n{summary['path']}"
    )
    emit(args, result, text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.datagen.importers import import_dataset

    config = generation.make_import_config(options.from_args(generation.ImportConfig, args))
    result = import_dataset(args.source, args.out, kind=config.format, split=config.split,
                            limit=config.limit or None, dedup=config.dedup, threshold=config.dedup_threshold,
                            overwrite=args.overwrite)
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
        raise ChemtuneError("Give exactly one of --out FILE, --save-to-disk DIR or --push-to-hub REPO.",
                            ko="--out FILE, --save-to-disk DIR, --push-to-hub REPO 중 정확히 하나만 주세요.")
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
                f"--part {text!r}: use dataset=NAME[,langs=ko+en][,tasks=qa+keywords][,ratio=0.5].",
                ko=f"--part {text!r}: dataset=NAME[,langs=ko+en][,tasks=qa+keywords][,ratio=0.5] 형식을 "
                   "쓰세요."
            )
        part[key] = [v for v in value.split("+") if v] if key in ("langs", "tasks") else value.strip()
    if "dataset" not in part:
        raise ChemtuneError(f"--part {text!r}: dataset=NAME is missing.",
                            ko=f"--part {text!r}: dataset=NAME이 빠졌습니다.")
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
            raise ChemtuneError("datasets mix needs at least one --part dataset=NAME[,langs=..][,ratio=..].",
                                ko="datasets mix에는 --part dataset=NAME[,langs=..][,ratio=..]이(가) 하나 "
                                   "이상 필요합니다.")
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
        raise ChemtuneError(f"datasets {action} needs {flag}.",
                            ko=f"datasets {action}에는 {flag}이(가) 필요합니다.")
    return value


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "generate",
        parents=[common],
        help="generate instruction data from documents with an LLM (key from $OPENAI_API_KEY)",
        description="Every option below can also come from a YAML file (--config); flags override it.",
    )
    p.add_argument("--config", help="YAML file of generation options (a generate job's config.yaml works)")
    options.add_cli_options(p.add_argument_group("generation options"), generation.GenerateConfig,
                            skip=tuple(generation.LLMSettings.model_fields))
    options.add_cli_options(p.add_argument_group("teacher LLM (and its retries)"), generation.LLMSettings)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "import", parents=[common], help="import a public set or an Alpaca/ShareGPT/messages file"
    )
    p.add_argument("source", help="a .jsonl .json .csv file, or hf:DATASET_ID")
    p.add_argument("--out", required=True, help="name of the new dataset")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset of that name")
    options.add_cli_options(p.add_argument_group("import options"), generation.ImportConfig)
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
