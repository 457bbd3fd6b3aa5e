"""Generation throughput against a local OpenAI-compatible server with a fixed latency.

    python benchmarks/generate_throughput.py [--docs 200] [--concurrency 16] [--latency 0.2]

Runs the real pipeline (client, retries, cache writes, validation, dataset files) in a fresh temporary
workspace, so every document is a request; the server runs in its own process. A 16-document warm-up run
comes first and is not timed. Ideal throughput is concurrency ÷ latency; the
target is a ratio of at least 0.8.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def serve(latency: float, ports: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """The server, in its own process as a real one would be (no shared interpreter lock with the client)."""
    from tests.support.datagen_answers import task_answers
    from tests.support.openai_stub import OpenAIStub

    with OpenAIStub(responder=task_answers, latency=latency) as stub:
        ports.put(stub.base_url)
        stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per answer")
    args = parser.parse_args()
    os.environ["CHEMTUNE_HOME"] = tempfile.mkdtemp(prefix="chemtune-bench-")

    import openai  # noqa: F401  (imported before the clock starts: a one-off cost, not throughput)

    from chemtune.datagen.client import LLMSettings
    from chemtune.datagen.pipeline import GenerateConfig, generate_dataset
    from chemtune.datagen.sources import Document

    docs = [Document(f"d{i}", f"Document {i}: catalyst sample {i * 7919 % 10007} calcined at {300 + i} K "
                              f"on support lot {i * 104729 % 99991}.", f"bench, line {i + 1}")
            for i in range(args.docs)]
    ports: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(args.latency, ports, stop), daemon=True)
    server.start()
    try:
        base_url = ports.get(timeout=30)
        config = GenerateConfig(
            task="keywords", llm=LLMSettings(base_url=base_url), concurrency=args.concurrency, dedup=False
        )
        # Warm-up (not timed): the first run in a process pays one-off lazy imports inside the client.
        warm = [Document(f"w{i}", f"Warm-up document {i} on zeolite {i * 31}.", "warm-up") for i in range(16)]
        generate_dataset("warm-up", warm, config, api_key="sk-bench")
        start = time.perf_counter()
        summary = generate_dataset("bench", docs, config, api_key="sk-bench")
        seconds = time.perf_counter() - start
    finally:
        stop.set()
        server.join(timeout=10)
    requests = summary["requests_sent"]
    rate = requests / seconds
    ideal = args.concurrency / args.latency
    print(f"documents:      {args.docs} ({summary['succeeded']} ok, {summary['failed']} failed)")
    print(
        f"requests:       {requests} in {seconds:.2f} s at concurrency {args.concurrency}, "
        f"server latency {args.latency * 1000:.0f} ms"
    )
    print(f"throughput:     {rate:.1f} requests/s (ideal {ideal:.1f})")
    print(f"ratio to ideal: {rate / ideal:.3f} (target >= 0.8)")
    return 0 if summary["succeeded"] == args.docs else 1


if __name__ == "__main__":
    sys.exit(main())
