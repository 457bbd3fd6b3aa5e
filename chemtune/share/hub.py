"""Publish a finished run to the Hugging Face Hub: its adapter (or merged model), a model card and the loss
curve, in one commit through huggingface_hub (`create_repo`, `create_commit`).

The token comes from the caller (a password box) or $HF_TOKEN; it is handed to huggingface_hub for the
requests and never written to a file, a config or a log. $HF_ENDPOINT points the upload elsewhere than
huggingface.co (a private Hub, or a test's stand-in)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.share import card, runs
from chemtune.share.config import PublishConfig
from chemtune.share.steps import Step

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
MERGED_SKIP = ("chemtune_model.json",)  # local bookkeeping, not part of a model


def hub_token(given: str | None = None) -> str:
    """The token to publish with: the one given, else $HF_TOKEN; a clear error without either."""
    token = (given or "").strip() or os.environ.get("HF_TOKEN", "").strip()
    if not token:
        raise ChemtuneError("Publishing needs a Hugging Face token with write access: set HF_TOKEN or paste "
                            "one into the token box (it is never saved).",
                            ko="게시하려면 쓰기 권한이 있는 Hugging Face 토큰이 필요합니다. HF_TOKEN을 "
                               "설정하거나 토큰 칸에 붙여 넣으세요(저장되지 않습니다).")
    return token


def _offline() -> bool:
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    return env or constants.is_offline_mode()


def stage(facts: runs.RunFacts, repo_id: str, merged: bool, folder: Path) -> list[str]:
    """Write what the repository will hold into `folder`; return the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    if merged:
        source = facts.merged_dir
        if source is None:
            raise ChemtuneError(f"Run {facts.run_id} has no merged model yet; export it first.",
                                ko=f"실행 {facts.run_id}에는 아직 병합된 모델이 없습니다; 먼저 내보내세요.")
        for path in sorted(source.iterdir()):
            if path.is_file() and path.name not in MERGED_SKIP and path.name != "README.md":
                shutil.copy2(path, folder / path.name)
    else:
        for name in ADAPTER_FILES:
            shutil.copy2(facts.adapter_dir / name, folder / name)
        adapter_config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
        # A local path means nothing on someone else's machine (and names ours): the Hub id when the base
        # has one, else the model's name as chemtune knows it.
        adapter_config["base_model_name_or_path"] = facts.hub_base or Path(facts.base_model).name
        (folder / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2) + "\n",
                                                    encoding="utf-8")
    from chemtune.share.lossplot import draw_loss_png

    draw_loss_png(facts.losses, folder / card.LOSS_IMAGE, title=f"{facts.run_id}: loss per step")
    (folder / "README.md").write_text(card.render_card(facts, repo_id, merged), encoding="utf-8")
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def publish(run_id: str, options: PublishConfig, token: str | None = None,
            progress: Callable[[Step], None] | None = None) -> dict[str, Any]:
    """Create (or reuse) the repository and upload the run's files and card in one commit."""
    say = progress or (lambda message: None)
    token = hub_token(token)
    if _offline():
        raise ChemtuneError("Publishing needs the Hugging Face Hub, and HF_HUB_OFFLINE is set; unset it.",
                            ko="게시하려면 Hugging Face Hub에 연결해야 하는데 HF_HUB_OFFLINE이 "
                               "설정되어 있습니다. 해제하세요.")
    facts = runs.finished_run(run_id)
    if options.merged and facts.merged_dir is None:
        from chemtune.share.export import ensure_merged

        say(Step("merge"))
        ensure_merged(facts)
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token)
    with tempfile.TemporaryDirectory(prefix="chemtune-publish-") as tmp:
        files = stage(facts, options.repo, options.merged, Path(tmp))
        try:
            say(Step("create", {"repo": options.repo}))
            url = api.create_repo(options.repo, private=options.private, exist_ok=True, repo_type="model")
            say(Step("upload", {"files": len(files)}))
            operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(Path(tmp) / name))
                          for name in files]
            what = "merged model" if options.merged else "LoRA adapter"
            commit = api.create_commit(options.repo, operations, repo_type="model",
                                       commit_message=f"chemtune: {what} from run {run_id}")
        except HfHubHTTPError as exc:
            raise _explain(exc, options.repo, token) from None
        except (OSError, ValueError) as exc:  # cannot connect, or the Hub refused the card's metadata
            message = _scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                             token)
            raise ChemtuneError(f"Publishing to {options.repo} failed: {message}",
                                ko=f"{options.repo}에 게시하지 못했습니다: {message}") from None
    return {"run_id": run_id, "repo": options.repo, "url": str(url), "commit": commit.oid,
            "merged": options.merged, "private": options.private, "files": files,
            "evaluations": [ev.get("eval_id") for ev in facts.evaluations]}


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def _explain(exc: Any, repo: str, token: str) -> ChemtuneError:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status in (401, 403):
        return ChemtuneError(f"The Hub refused the token for {repo} (HTTP {status}): it needs write access "
                             "to that namespace.",
                             ko=f"허브가 {repo}에 대한 토큰을 거부했습니다(HTTP {status}). 그 "
                                "네임스페이스에 쓰기 권한이 있는 토큰이어야 합니다.")
    first = _scrub(str(exc).strip().splitlines()[0], token)
    return ChemtuneError(f"Publishing to {repo} failed: {first}", ko=f"{repo}에 게시하지 못했습니다: {first}")
