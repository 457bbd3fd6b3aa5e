"""Real LoRA adapters on the tiny model, a finished train run folder around one, and uvicorn in a thread."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

SYSTEM_KO = "당신은 화학 전문가입니다."
QUESTION_KO = "연료전지에서 백금 촉매의 역할은 무엇인가요?"
TARGET_KO = "백금은 산소 환원 반응을 촉진합니다."


def random_lora(folder: Path, seed: int = 7, base: str = "tiny") -> Path:
    """An adapter with non-zero random LoRA weights (it changes the answer), saved with save_pretrained."""
    import torch
    from peft import LoraConfig, get_peft_model

    from chemtune import models

    model, _ = models.load_model(base, device="cpu")
    torch.manual_seed(seed)
    config = LoraConfig(r=8, lora_alpha=64, lora_dropout=0.0, task_type="CAUSAL_LM", init_lora_weights=False,
                        target_modules=["q_proj", "v_proj", "up_proj", "down_proj"])
    get_peft_model(model, config).save_pretrained(folder)
    return folder


def misfit_lora(folder: Path, base: str = "tiny") -> Path:
    """An adapter trained on a half-width variant of `base`: it names the same base model but fits none."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    from chemtune import models

    source, _ = models.resolve(base)
    config = AutoConfig.from_pretrained(source)
    config.hidden_size, config.intermediate_size = config.hidden_size // 2, config.intermediate_size // 2
    config.head_dim = config.hidden_size // config.num_attention_heads
    model = AutoModelForCausalLM.from_config(config)
    model.name_or_path = source
    get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj"])).save_pretrained(folder)
    return folder


REMOTE_CODE = """
from transformers import LlamaConfig, LlamaForCausalLM


class ChemConfig(LlamaConfig):
    model_type = "chem_llama"


class ChemForCausalLM(LlamaForCausalLM):
    config_class = ChemConfig
"""


def remote_code_model(folder: Path) -> Path:
    """A copy of the tiny model whose config sends transformers to Python code in the folder, as EXAONE's
    does: it loads only with trust_remote_code (offline: the code is local)."""
    import json
    import shutil

    from chemtune import models

    shutil.copytree(models.build_tiny(), folder)
    (folder / "modeling_chem.py").write_text(REMOTE_CODE, encoding="utf-8")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config.update(model_type="chem_llama", architectures=["ChemForCausalLM"],
                  auto_map={"AutoConfig": "modeling_chem.ChemConfig",
                            "AutoModelForCausalLM": "modeling_chem.ChemForCausalLM"})
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def trained_lora(folder: Path, steps: int = 60) -> Path:
    """An adapter trained for a few AdamW steps to answer QUESTION_KO with TARGET_KO."""
    import torch
    from peft import LoraConfig, get_peft_model

    from chemtune import models, prompting

    model, tokenizer = models.load_model("tiny", device="cpu")
    torch.manual_seed(0)
    config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                        target_modules="all-linear")
    model = get_peft_model(model, config)
    prompt = prompting.render_messages(tokenizer, [
        {"role": "system", "content": SYSTEM_KO}, {"role": "user", "content": QUESTION_KO},
        {"role": "assistant", "content": TARGET_KO}])
    example = prompting.tokenize_for_training(tokenizer, prompt)
    input_ids, labels = torch.tensor([example["input_ids"]]), torch.tensor([example["labels"]])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    model.train()
    for _ in range(steps):
        model(input_ids=input_ids, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(folder)
    return folder


def finished_train_run(home: Path, run_id: str, adapter_dir: Path | None, model: str = "tiny") -> Path:
    """A run folder as a finished train job leaves it: config.yaml, status.json with result.adapter_dir."""
    from chemtune import workspace

    run = home / "runs" / run_id
    run.mkdir(parents=True, exist_ok=True)
    workspace.write_yaml(run / "config.yaml", {"kind": "train", "model": model})
    result = {"adapter_dir": str(adapter_dir)} if adapter_dir else {}
    workspace.write_json(run / "status.json", {
        "status": "done", "kind": "train", "run_id": run_id, "result": result,
        "created": datetime.now(UTC).isoformat()})
    return run


class ServerThread:
    """uvicorn in a thread of the test process (for in-process engines shared with the test)."""

    def __init__(self, app: object, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}/v1"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
