"""Time to first token and decode speed through `chemtune serve` (HTTP, SSE streaming) versus calling
`model.generate` directly on the same model and prompt.

    python benchmarks/chat_latency.py [--model tiny] [--tokens 256] [--runs 5] [--device cpu]

Targets: serving adds at most 50 ms to the first token and keeps at least 90 % of the direct tokens/s.
Direct and served runs alternate, so a busy machine slows both alike; the median and the best run of each
are reported (on a shared machine the best runs are the ones other work disturbed least).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SYSTEM = "당신은 화학 전문가입니다. 정확하고 간결하게 답하세요."
QUESTION = "고분자 전해질 연료전지에서 백금 촉매의 역할과 탄소 지지체의 역할을 설명하세요."
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def direct_run(model, input_ids, tokens: int) -> dict:
    """generate() with a streamer that only records when each token arrives (no decoding)."""
    import torch
    from transformers.generation.streamers import BaseStreamer

    class Clock(BaseStreamer):
        def __init__(self) -> None:
            self.times: list[float] = []
            self.prompt_seen = False

        def put(self, value) -> None:
            if not self.prompt_seen:
                self.prompt_seen = True
                return
            self.times.append(time.perf_counter())

        def end(self) -> None:
            pass

    clock = Clock()
    start = time.perf_counter()
    with torch.inference_mode():
        model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=tokens,
                       min_new_tokens=tokens, do_sample=False, streamer=clock, temperature=None, top_p=None,
                       top_k=None)
    return summarize(start, clock.times[0], clock.times[-1], len(clock.times))


def served_run(client, url: str, model: str, tokens: int) -> dict:
    """One streamed chat completion; times from sending the request to the first and last content chunk."""
    body = {"model": model, "messages": MESSAGES, "max_tokens": tokens, "stream": True,
            "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    first = last = None
    completion = 0
    with client.stream("POST", f"{url}/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                completion = chunk["usage"]["completion_tokens"]
            if any(choice["delta"].get("content") for choice in chunk["choices"]):
                last = time.perf_counter()
                first = first or last
    return summarize(start, first, last, completion)


def summarize(start: float, first: float, last: float, tokens: int) -> dict:
    return {"ttft_ms": (first - start) * 1000, "tokens": tokens,
            "tokens_per_second": (tokens - 1) / (last - first) if last > first else float("nan")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--tokens", type=int, default=256, help="new tokens per answer")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    import httpx
    import torch

    from chemtune import models, prompting

    model, tokenizer = models.load_for_inference(args.model, device=args.device)  # as serve loads it
    device = next(model.parameters()).device
    ids = prompting.tokenize_prompt(tokenizer, prompting.render_messages(tokenizer, MESSAGES))
    input_ids = torch.tensor([ids], device=device)

    port = free_port()
    env = os.environ | {"NO_PROXY": "127.0.0.1,localhost"}
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "chemtune", "serve", "--model", args.model, "--port", str(port),
         "--device", args.device, "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    client = httpx.Client(timeout=600, trust_env=False)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client.get(f"{url}/models").raise_for_status()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"serve did not start:\n{log.read()}") from None
                time.sleep(0.2)
        # One untimed warm-up each (first CUDA kernels, first HTTP connection).
        direct_run(model, input_ids, args.tokens)
        served_run(client, url, args.model, args.tokens)
        direct, served = [], []
        for _ in range(args.runs):
            direct.append(direct_run(model, input_ids, args.tokens))
            served.append(served_run(client, url, args.model, args.tokens))
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)

    def pick(rows: list[dict], key: str, how: str) -> float:
        values = [row[key] for row in rows]
        if how == "median":
            return statistics.median(values)
        return min(values) if key == "ttft_ms" else max(values)

    figures = {"model": args.model, "device": str(device), "prompt_tokens": len(ids),
               "new_tokens": args.tokens, "runs": args.runs,
               "served_tokens": [row["tokens"] for row in served]}
    for how in ("median", "best"):
        for key in ("ttft_ms", "tokens_per_second"):
            figures[f"{how}_direct_{key}"] = pick(direct, key, how)
            figures[f"{how}_served_{key}"] = pick(served, key, how)
        figures[f"{how}_added_ttft_ms"] = figures[f"{how}_served_ttft_ms"] - figures[f"{how}_direct_ttft_ms"]
        figures[f"{how}_throughput_ratio"] = (figures[f"{how}_served_tokens_per_second"]
                                              / figures[f"{how}_direct_tokens_per_second"])
        figures[f"{how}_meets_targets"] = (figures[f"{how}_added_ttft_ms"] <= 50
                                           and figures[f"{how}_throughput_ratio"] >= 0.9)
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"model {args.model} on {device}; prompt {len(ids)} tokens; {args.tokens} new tokens; "
          f"{args.runs} runs each, alternating")
    for how, note in (("median", "median of the runs"),
                      ("best", "best run of each (the least disturbed by other work on the machine)")):
        print(f"\n{note}:")
        print(f"  {'':22}{'first token':>14}{'tokens/s':>12}")
        for who, label in (("direct", "generate() directly"), ("served", "serve (HTTP, SSE)")):
            print(f"  {label:22}{figures[f'{how}_{who}_ttft_ms']:>11.1f} ms"
                  f"{figures[f'{how}_{who}_tokens_per_second']:>12.1f}")
        print(f"  added to first token: {figures[f'{how}_added_ttft_ms']:.1f} ms (target ≤ 50 ms); "
              f"throughput: {figures[f'{how}_throughput_ratio']:.1%} of direct (target ≥ 90 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
