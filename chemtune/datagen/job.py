"""The `generate` job: a run folder whose config.yaml says what to generate; the API key comes only
through the job process's environment ($OPENAI_API_KEY), never through a file.

config.yaml: `kind: generate` and every option of `GenerateConfig` by its name (source, task, model …),
so `python -m chemtune generate --config RUN/config.yaml` repeats the job.
"""

from __future__ import annotations

import time
from typing import Any

from chemtune import jobs
from chemtune.datagen.client import KEY_ENV
from chemtune.datagen.config import GenerateConfig, to_yaml_dict
from chemtune.datagen.pipeline import Stats, generate_dataset, stats_dict
from chemtune.datagen.sources import load_documents
from chemtune.errors import ChemtuneError

PROGRESS_EVERY_S = 0.25


def check(config: GenerateConfig) -> None:
    """What must hold before a job exists: a source, a free dataset name, documents that can be read."""
    from chemtune import workspace
    from chemtune.records import RECORDS_FILE

    if not config.source:
        raise ChemtuneError("Documents (source): give a file or hf:DATASET_ID.",
                            ko="문서 (source): 파일이나 `hf:데이터셋_ID`를 주세요.")
    if not config.out.strip():
        raise ChemtuneError("New dataset name (out): give the new dataset a name, such as 'chem-ko-v1'.",
                            ko="새 데이터셋 이름 (out): 'chem-ko-v1'처럼 새 데이터셋의 이름을 입력하세요.")
    workspace.check_name(config.out, "dataset name")
    if (workspace.folder("datasets", config.out) / RECORDS_FILE).exists() and not config.overwrite:
        raise ChemtuneError(f"A dataset named {config.out!r} already exists; choose another name.",
                            ko=f"{config.out!r} 데이터셋이 이미 있습니다. 다른 이름을 고르세요.")
    load_documents(config.source, config.text_column, config.limit or None, config.split)


def start(config: GenerateConfig, api_key: str | None = None) -> jobs.RunFolder:
    """Check the source and the name now (clear errors before a job exists), then start the job."""
    check(config)
    env = {KEY_ENV: api_key} if api_key else None
    return jobs.start_job("generate", to_yaml_dict(config), env=env)


def run(ctx: jobs.JobContext) -> dict[str, Any]:
    """Worker of the generate job kind."""
    config = GenerateConfig.model_validate({k: v for k, v in ctx.config.items() if k != "kind"})
    docs = load_documents(config.source, config.text_column, config.limit or None, config.split)
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

    summary = generate_dataset(config.out, docs, config, api_key=None, progress=progress,
                               should_stop=ctx.should_stop, overwrite=config.overwrite, run_dir=ctx.run_dir,
                               source=config.source)
    ctx.event(type="result", **summary)
    ctx.log(
        f"generate: {summary['succeeded']} records, {summary['failed']} failed, "
        f"{summary['deduplicated']} duplicates removed, {summary['cached']} answers from the cache"
    )
    return summary
