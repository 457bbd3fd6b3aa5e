"""What this machine can train on: the GPU (through torch.cuda) or the CPU, described in one line; and the
one rule for precision "auto", which training, merging and loading a model all follow."""

from __future__ import annotations

import os

from chemtune.errors import ChemtuneError

GIB = 2**30


def _cpu_cores() -> int:
    # The cores this process may use (a container's limit), not every core of the host.
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _compute_cores() -> int:
    """Cores worth one compute thread each: the usable ones, hyperthread siblings not counted twice."""
    usable = _cpu_cores()
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except ImportError:
        physical = None
    return max(1, min(usable, physical or usable))


def cpu_threads(processes: int = 1) -> int:
    """Compute threads for each of `processes` processes that share this machine's CPU.

    A thread count the user set (OMP_NUM_THREADS) is theirs to choose and is kept, as accelerate and torch
    read it per process; otherwise the cores are shared out, at least one thread each."""
    chosen = os.environ.get("OMP_NUM_THREADS", "").strip()
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return max(1, _compute_cores() // max(1, processes))


def use_cpu_threads() -> int:
    """Give this process's torch the threads `cpu_threads()` says (a process that computes in place, such
    as the app's chat and serve); returns the count."""
    import torch

    threads = cpu_threads()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def _ram_gb() -> float | None:
    """Total RAM in GiB from /proc/meminfo, falling back to sysconf; None when neither is there."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) * 1024 / GIB, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB, 1)
    except (AttributeError, ValueError, OSError):
        return None


def _cuda():
    """torch.cuda when torch is installed and sees a GPU, else None (torch is imported only here)."""
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda if torch.cuda.is_available() else None


PRECISIONS = ("bf16", "fp16", "fp32")


def auto_precision(device: str | None = None) -> str:
    """What precision "auto" means on `device` (default: the one training would use): bf16 on a CUDA GPU
    that supports it, fp16 on an older CUDA GPU, fp32 on the CPU or any other device."""
    cuda = _cuda()
    on_cuda = cuda is not None and (device is None or str(device).startswith("cuda"))
    if not on_cuda:
        return "fp32"
    return "bf16" if cuda.is_bf16_supported() else "fp16"


def resolve_precision(precision: str, device: str | None = None) -> str:
    """"auto" → auto_precision(device); bf16, fp16 or fp32 stay as they are."""
    if precision == "auto":
        return auto_precision(device)
    if precision not in PRECISIONS:
        known = ", ".join(PRECISIONS)
        raise ChemtuneError(f"Precision {precision!r} is not one of auto, {known}.",
                            ko=f"정밀도 {precision!r}은(는) auto, {known} 중 하나가 아닙니다.")
    return precision


DEVICE_TEXT = {
    "gpu": {"en": "GPU: {shown} · {memory:.1f} GB{each}", "ko": "GPU: {shown} · {each}{memory:.1f} GB"},
    "each": {"en": " each", "ko": "개당 "},
    "cpu": {"en": "CPU ({cores} cores)", "ko": "CPU ({cores}코어)"},
    "no_gpu": {"en": "no GPU", "ko": "GPU 없음"},
    "gpu_memory": {"en": "GPU memory: {allocated:.1f} GB allocated · {reserved:.1f} GB reserved · "
                         "{total:.1f} GB total",
                   "ko": "GPU 메모리: 할당 {allocated:.1f} GB · 예약 {reserved:.1f} GB · "
                         "전체 {total:.1f} GB"},
}


def _say(key: str, lang: str, **args: object) -> str:
    texts = DEVICE_TEXT[key]
    return (texts.get(lang) or texts["en"]).format(**args)


def describe_device(lang: str = "en") -> dict:
    """The device training would use: kind ("cuda" or "cpu"), name, memory_gb and a one-line text (in
    `lang`, "en" or "ko")."""
    cuda = _cuda()
    if cuda is not None:
        count = cuda.device_count()
        props = cuda.get_device_properties(0)
        memory_gb = round(props.total_memory / GIB, 1)
        name = props.name
        shown = f"{count} × {name}" if count > 1 else name
        each = _say("each", lang) if count > 1 else ""
        return {
            "kind": "cuda",
            "name": name,
            "count": count,
            "memory_gb": memory_gb,
            "text": _say("gpu", lang, shown=shown, memory=memory_gb, each=each),
        }
    name = _say("cpu", "en", cores=_cpu_cores())
    memory_gb = _ram_gb()
    ram = f" · {memory_gb:.1f} GB RAM" if memory_gb is not None else ""
    text = _say("cpu", lang, cores=_cpu_cores()) + ram
    return {"kind": "cpu", "name": name, "count": 1, "memory_gb": memory_gb, "text": text}


def gpu_memory_text(lang: str = "en") -> str:
    """GPU memory of device 0 in use right now: allocated / reserved / total, or "no GPU"."""
    cuda = _cuda()
    if cuda is None:
        return _say("no_gpu", lang)
    total = cuda.get_device_properties(0).total_memory / GIB
    return _say("gpu_memory", lang, allocated=cuda.memory_allocated(0) / GIB,
                reserved=cuda.memory_reserved(0) / GIB, total=total)
