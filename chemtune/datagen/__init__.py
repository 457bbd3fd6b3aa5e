"""Instruction data: generate with a teacher LLM, validate, dedupe, import, mix and export datasets."""
