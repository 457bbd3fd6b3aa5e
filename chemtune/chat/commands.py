"""`python -m chemtune serve` (OpenAI-compatible API) and `python -m chemtune chat` (terminal chat)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chemtune.cli import emit
from chemtune.errors import ChemtuneError


def _add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="base model: a preset (e.g. tiny), hub id or folder")
    parser.add_argument("--adapter", action="append", default=[], metavar="[NAME=]PATH|RUN_ID",
                        help="a LoRA adapter folder or a train run id; repeat for several "
                             "(requests pick one by NAME in the `model` field)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    parser.add_argument("--dtype", default="auto", help="auto, bf16, fp16, fp32")
    _add_trust_arg(parser)


def _add_trust_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trust-remote-code", action="store_true",
                        help="run the Python code the model's repository ships (EXAONE needs it); "
                             "only for models you trust")


def load_engine(args: argparse.Namespace) -> Any:
    from chemtune.chat.adapters import resolve_adapter
    from chemtune.chat.engine import ChatEngine

    adapters: dict[str, str] = {}
    for spec in args.adapter:
        name, path = resolve_adapter(spec)
        if name in adapters:
            raise ChemtuneError(f"Two adapters are named {name!r}; name them with NAME=PATH.",
                                ko=f"어댑터 두 개의 이름이 {name!r}로 같습니다; NAME=PATH로 이름을 붙이세요.")
        adapters[name] = str(path)
    return ChatEngine().load(args.model, adapters, device=args.device, dtype=args.dtype,
                             trust_remote_code=args.trust_remote_code)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from chemtune.chat.server import create_app

    engine = load_engine(args)
    app = create_app(engine, api_key=args.api_key, default_max_tokens=args.max_tokens)
    names = engine.model_names()
    url = f"http://{args.host}:{args.port}/v1"
    emit(args, {"base_url": url, "models": names, "auth": bool(args.api_key)},
         f"serving {', '.join(names)} at {url} (OpenAI-compatible; Ctrl+C stops)")
    sys.stdout.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _settings(args: argparse.Namespace) -> Any:
    from chemtune.chat.engine import Settings

    return Settings(max_new_tokens=args.max_new_tokens, temperature=args.temperature, top_p=args.top_p,
                    seed=args.seed, fit_context=True).check()


def _backend(args: argparse.Namespace) -> tuple[Any, str | None]:
    if args.endpoint:
        from chemtune.chat.remote import RemoteChat

        return RemoteChat(args.endpoint, args.model, args.api_key or ""), args.model
    engine = load_engine(args)
    # With adapters loaded, chat with the (first or named) adapter; otherwise with the base model.
    model = args.use or (next(iter(engine.adapters)) if engine.adapters else engine.base)
    if model not in engine.model_names():
        raise ChemtuneError(f"--use {model!r} is not loaded; loaded: {', '.join(engine.model_names())}.",
                            ko=f"--use {model!r}은(는) 불러와져 있지 않습니다; 불러온 모델: "
                               f"{', '.join(engine.model_names())}.")
    return engine, model


def cmd_chat(args: argparse.Namespace) -> int:
    from chemtune.chat import presets

    backend, model = _backend(args)
    settings = _settings(args)
    system = args.system if args.system is not None else presets.system_prompt("chemist", args.lang)
    history: list[dict] = [{"role": "system", "content": system}] if system else []
    if args.prompt is not None:
        reply = None
        messages = history + [{"role": "user", "content": args.prompt}]
        for piece, latest in backend.stream(messages, model, settings):
            reply = latest
            if not args.json:
                print(piece, end="", flush=True)
        assert reply is not None
        result = {"model": model, "text": reply.text, "tokens": reply.tokens,
                  "prompt_tokens": reply.prompt_tokens,
                  "ttft_ms": reply.ttft_ms, "tokens_per_second": reply.tokens_per_second,
                  "finish_reason": reply.finish_reason}
        if args.json:
            emit(args, result)
        else:
            print()
            print(_stats_line(reply), file=sys.stderr)
        return 0
    print(f"chatting with {model} — empty line or /exit quits, /reset clears the history", file=sys.stderr)
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question or question in ("/exit", "/quit"):
            break
        if question == "/reset":
            history = history[:1] if system else []
            continue
        history.append({"role": "user", "content": question})
        reply = None
        try:
            for piece, latest in backend.stream(history, model, settings):
                reply = latest
                print(piece, end="", flush=True)
        except KeyboardInterrupt:
            print("\n[stopped]", file=sys.stderr)
        except ChemtuneError as error:
            # The session goes on (so /reset can still be typed); the message that failed is not kept.
            history.pop()
            print(f"\nerror: {error}", file=sys.stderr)
            continue
        print()
        if reply is not None:
            history.append({"role": "assistant", "content": reply.text})
            print(_stats_line(reply), file=sys.stderr)
    return 0


def _stats_line(reply: Any) -> str:
    ttft = f"{reply.ttft_ms:.0f} ms" if reply.ttft_ms is not None else "–"
    speed = f"{reply.tokens_per_second:.1f} tokens/s" if reply.tokens_per_second else "–"
    return f"[{reply.tokens} tokens · first token {ttft} · {speed}]"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("serve", parents=[common],
                              help="serve a model (and adapters) through an OpenAI-compatible API")
    _add_model_args(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--api-key", help="require 'Authorization: Bearer KEY' on every request")
    p.add_argument("--max-tokens", type=int, default=512, help="answer length when a request sets none")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser("chat", parents=[common],
                              help="chat with a model in the terminal (streaming), or answer one --prompt")
    p.add_argument("--model", required=True,
                   help="base model (preset, hub id or folder); with --endpoint, the remote model name")
    p.add_argument("--adapter", action="append", default=[], metavar="[NAME=]PATH|RUN_ID",
                   help="a LoRA adapter folder or a train run id (repeatable)")
    p.add_argument("--use", help="which loaded model answers: the base model's name or an adapter's name "
                                 "(default: the first adapter, else the base model)")
    p.add_argument("--endpoint", help="chat with an OpenAI-compatible server instead (e.g. http://host:8000/v1)")
    p.add_argument("--api-key", help="API key for --endpoint")
    p.add_argument("--prompt", help="answer this one message and exit")
    p.add_argument("--system", help="system prompt (default: the chemistry-expert preset in --lang)")
    p.add_argument("--lang", choices=["en", "ko"], default="en", help="language of the default system prompt")
    p.add_argument("--max-new-tokens", type=int, default=256)
    p.add_argument("--temperature", type=float, default=0.0,
                   help="0 = greedy decoding (the default, as in the paper)")
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--seed", type=int)
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", default="auto")
    _add_trust_arg(p)
    p.set_defaults(func=cmd_chat)
