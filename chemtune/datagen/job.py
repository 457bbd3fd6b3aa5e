"""The `generate` job: a run folder whose config.yaml says what to generate; the API key comes only
through the job process's environment ($OPENAI_API_KEY), never through a file.

config.yaml: `{kind: generate, out: NAME, source: PATH | hf:ID, text_column, split, limit, overwrite,
generate: {task, lang, instruction, llm: {base_url, model, …}, concurrency, dedup, …}}`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from chemtune import jobs
from chemtune.datagen.client import KEY_ENV
from chemtune.datagen.pipeline import GenerateConfig, Stats, generate_dataset, stats_dict
from chemtune.datagen.sources import load_documents
from chemtune.errors import ChemtuneError

PROGRESS_EVERY_S = 0.25


def job_config(out: str, source: str | Path, config: GenerateConfig, text_column: str | None = None,
               split: str = "train", limit: int | None = None, overwrite: bool = False) -> dict[str, Any]:
    """The job's config.yaml content (everything needed to repeat it; no key)."""
    return {"out": out, "source": str(source), "text_column": text_column or None, "split": split,
            "limit": limit, "overwrite": overwrite, "generate": config.model_dump(mode="json")}


def start(out: str, source: str | Path, config: GenerateConfig, api_key: str | None = None,
          text_column: str | None = None, split: str = "train", limit: int | None = None,
          overwrite: bool = False) -> jobs.RunFolder:
    """Check the source and the name now (clear errors before a job exists), then start the job."""
    from chemtune import workspace
    from chemtune.records import RECORDS_FILE

    if (workspace.folder("datasets", out) / RECORDS_FILE).exists() and not overwrite:
        raise ChemtuneError(f"A dataset named {out!r} already exists; choose another name.")
    load_documents(source, text_column, limit, split)
    env = {KEY_ENV: api_key} if api_key else None
    return jobs.start_job("generate", job_config(out, source, config, text_column, split, limit, overwrite),
                          env=env)


def run(ctx: jobs.JobContext) -> dict[str, Any]:
    """Worker of the generate job kind."""
    cfg = ctx.config
    config = GenerateConfig.model_validate(cfg.get("generate") or {})
    docs = load_documents(
        cfg["source"], cfg.get("text_column"), cfg.get("limit"), cfg.get("split") or "train"
    )
    ctx.log(
        f"generate: {len(docs)} documents, task {config.task}, model {config.llm.model} at "
        f"{config.llm.base_url}, concurrency {config.concurrency}"
    )
    ctx.progress(0, len(docs), succeeded=0, failed=0, cached=0)
    last = 0.0

    def progress(stats: Stats) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY_S and stats.done < stats.requested:
            return
        last = time.monotonic()
        ctx.progress(stats.done, stats.requested, **stats_dict(stats, config))

    summary = generate_dataset(
        cfg["out"],
        docs,
        config,
        api_key=None,
        progress=progress,
        should_stop=ctx.should_stop,
        overwrite=bool(cfg.get("overwrite")),
        run_dir=ctx.run_dir,
        source=cfg["source"],
    )
    ctx.event(type="result", **summary)
    ctx.log(
        f"generate: {summary['succeeded']} records, {summary['failed']} failed, "
        f"{summary['deduplicated']} duplicates removed, {summary['cached']} answers from the cache"
    )
    return summary
