"""Publishing and exporting as jobs (kinds `publish` and `export-model`): a folder under runs/ whose
config.yaml names the train run and the options, never the token, which reaches the job process through
its environment only (jobs.start_job's `env`). The Train tab starts these; the CLI runs the same functions
in its own process."""

from __future__ import annotations

from typing import Any

from chemtune import jobs
from chemtune.share import runs
from chemtune.share.config import ExportConfig, PublishConfig, make_export, make_publish
from chemtune.share.steps import STEPS, Step


def _note(ctx: jobs.JobContext, step: Step) -> None:
    ctx.log(str(step))
    ctx.event(type="step", message=str(step), step=step.id, args=step.args)


def export_worker(ctx: jobs.JobContext) -> dict[str, Any]:
    from chemtune.share.export import export_model

    options = make_export({k: ctx.config.get(k) for k in ExportConfig.model_fields})
    return export_model(ctx.config["run_id"], options, progress=lambda step: _note(ctx, step))


def publish_worker(ctx: jobs.JobContext) -> dict[str, Any]:
    from chemtune.share.hub import publish

    options = make_publish({k: ctx.config.get(k) for k in PublishConfig.model_fields})
    return publish(ctx.config["run_id"], options, progress=lambda step: _note(ctx, step))


def start_export(run_id: str, values: dict[str, Any]) -> jobs.RunFolder:
    """Check the run and options now, then export in a job."""
    options = make_export(values)
    runs.finished_run(run_id)
    return jobs.start_job("export-model", {"run_id": run_id, **options.model_dump()})


def start_publish(run_id: str, values: dict[str, Any], token: str | None = None) -> jobs.RunFolder:
    """Check the run, options and token now, then publish in a job (the token in its environment only)."""
    from chemtune.share.hub import hub_token

    options = make_publish(values)
    secret = hub_token(token)
    runs.finished_run(run_id)
    return jobs.start_job("publish", {"run_id": run_id, **options.model_dump()}, env={"HF_TOKEN": secret})


def last_step(run: jobs.RunFolder, lang: str = "en") -> str:
    """The newest step of a publish or export job in `lang` ('' before the first)."""
    event = run.last_event("step")
    if event.get("step") in STEPS:
        return Step(event["step"], event.get("args") or {}).text(lang)
    return str(event.get("message") or "")
