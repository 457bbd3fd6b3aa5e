"""`python -m chemtune publish RUN_ID --repo ORG/NAME [--merged] [--private]` and
`python -m chemtune export-model RUN_ID --format merged|gguf-f16|gguf-q8_0 [--out DIR]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chemtune import options
from chemtune.share.config import ExportConfig, PublishConfig, make_export, make_publish


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "publish", parents=[common], help="publish a finished run's adapter (or merged model) to the Hub",
        description="Uploads the run's LoRA adapter (or, with --merged, the merged model), a model card "
                    "with its datasets, options, loss curve and evaluations. The token comes from $HF_TOKEN; "
                    "$HF_ENDPOINT points at another Hub.")
    p.add_argument("run_id", metavar="RUN_ID", help="a finished train run")
    options.add_cli_options(p, PublishConfig, required=("repo",))
    p.set_defaults(func=cmd_publish)

    p = subparsers.add_parser(
        "export-model", parents=[common], help="export a finished run's merged model (safetensors or GGUF)",
        description="merged: a safetensors folder; gguf-f16 / gguf-q8_0: one GGUF file written by "
                    "llama.cpp's converter, with a Modelfile for `ollama create`. With --json the last line "
                    "names the files.")
    p.add_argument("run_id", metavar="RUN_ID", help="a finished train run")
    options.add_cli_options(p, ExportConfig)
    p.set_defaults(func=cmd_export)


def _say(step: object) -> None:
    print(str(step), file=sys.stderr, flush=True)


def cmd_publish(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.share.hub import publish

    result = publish(args.run_id, make_publish(options.from_args(PublishConfig, args)), progress=_say)
    emit(args, result, f"published {result['run_id']} to {result['url']} ({len(result['files'])} files)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from chemtune.cli import emit
    from chemtune.share.export import export_model

    result = export_model(args.run_id, make_export(options.from_args(ExportConfig, args)), progress=_say)
    emit(args, result, "\n".join(["exported:", *result["files"]]))
    return 0
