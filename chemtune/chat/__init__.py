"""Chat and serving: a streaming engine around one resident base model with switchable LoRA adapters, the
same interface against any OpenAI-compatible endpoint, and an OpenAI-compatible HTTP server."""
