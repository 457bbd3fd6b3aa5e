"""Sharing a finished train run: publish its adapter or merged model to the Hugging Face Hub with a model
card (`hub`, `card`), export the merged model as safetensors or GGUF with an Ollama Modelfile (`export`,
`modelfile`, `converter`), and what a Hugging Face Space changes (`spaces`)."""
