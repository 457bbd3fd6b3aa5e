"""Export a finished run's model: the merged model as a safetensors folder, or as one GGUF file (f16 or
q8_0, written by llama.cpp's converter, see `converter`) with a Modelfile for Ollama."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from chemtune import workspace
from chemtune.errors import ChemtuneError
from chemtune.share import converter, runs
from chemtune.share.config import ExportConfig
from chemtune.share.hub import MERGED_SKIP
from chemtune.share.steps import Step

CONVERTER_TIMEOUT_S = 3 * 3600
OUTTYPES = {"gguf-f16": "f16", "gguf-q8_0": "q8_0"}


def ensure_merged(facts: runs.RunFacts) -> Path:
    """The run's merged model folder, merged now (on the CPU, in the precision it trained in) if missing."""
    if facts.merged_dir is not None:
        return facts.merged_dir
    from chemtune.train import checkpoint

    config = facts.config
    return checkpoint.export_merged(facts.path, str(config.get("model")), facts.adapter_dir,
                                    str(config.get("precision", "auto")),
                                    bool(config.get("trust_remote_code", False)))


def out_folder(facts: runs.RunFacts, options: ExportConfig) -> Path:
    return Path(options.out).expanduser() if options.out else facts.path / "export"


def export_model(run_id: str, options: ExportConfig,
                 progress: Callable[[Step], None] | None = None) -> dict[str, Any]:
    """Write the export into the output folder; return the files written (absolute paths)."""
    say = progress or (lambda message: None)
    facts = runs.finished_run(run_id)
    out = out_folder(facts, options)
    out.mkdir(parents=True, exist_ok=True)
    if options.format in OUTTYPES and converter.llama_cpp_dir() is None:
        raise ChemtuneError(f"GGUF export needs llama.cpp's converter: {converter.INSTALL}",
                            ko=f"GGUF로 내보내려면 llama.cpp 변환기가 필요합니다: {converter.INSTALL}")
    if facts.merged_dir is None:
        say(Step("merge"))
    merged = ensure_merged(facts)
    if options.format == "merged":
        files = []
        target = out / f"{run_id}-merged"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(merged.iterdir()):
            if path.is_file() and path.name not in MERGED_SKIP:
                shutil.copy2(path, target / path.name)
                files.append(str(target / path.name))
        return {"run_id": run_id, "format": options.format, "out": str(out), "files": files}
    gguf = out / f"{run_id}-{OUTTYPES[options.format]}.gguf"
    say(Step("convert", {"file": gguf.name}))
    convert(merged, gguf, OUTTYPES[options.format], facts.path / "export.log")
    say(Step("modelfile"))
    model_file = out / "Modelfile"
    workspace.write_text_atomic(model_file, ollama_modelfile(merged, gguf.name))
    return {"run_id": run_id, "format": options.format, "out": str(out),
            "files": [str(gguf), str(model_file)], "gguf": str(gguf), "modelfile": str(model_file),
            "ollama": f"cd {out} && ollama create {run_id} -f Modelfile"}


def convert(model_dir: Path, target: Path, outtype: str, log_file: Path) -> Path:
    """Run the converter as a child process; its output goes to `log_file`; the file appears whole."""
    partial = target.with_name(target.name + ".writing")
    partial.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "chemtune.share.converter", str(model_dir), "--outfile", str(partial),
            "--outtype", outtype]
    with open(log_file, "ab") as log:
        done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=CONVERTER_TIMEOUT_S, check=False)
    if done.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        raise ChemtuneError(f"llama.cpp's converter failed: {_last_error(log_file)} (see {log_file}).",
                            ko=f"llama.cpp 변환기가 실패했습니다: {_last_error(log_file)} ({log_file} 참고).")
    partial.replace(target)
    return target


def _last_error(log_file: Path) -> str:
    lines = [line.strip() for line in log_file.read_text(encoding="utf-8", errors="replace").splitlines()
             if line.strip()]
    errors = [line for line in lines if "Error" in line or line.startswith("error")]
    return (errors or lines or ["no output"])[-1][:300]


def ollama_modelfile(model_dir: Path, gguf_name: str) -> str:
    """The Modelfile of a model folder's GGUF export (its tokenizer and generation config decide)."""
    from transformers import AutoTokenizer, GenerationConfig

    from chemtune.share.modelfile import modelfile

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    try:
        generation_config = GenerationConfig.from_pretrained(str(model_dir))
    except OSError:
        generation_config = None

    # generation.turn_end reads only the model's generation config; the weights need not be loaded.
    return modelfile(gguf_name, SimpleNamespace(generation_config=generation_config), tokenizer)
