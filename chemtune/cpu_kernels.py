"""Which library multiplies a model's float32 matrices on the CPU: MKL or oneDNN.

PyTorch's float32 `linear` on the CPU calls MKL. oneDNN, which ships inside the same PyTorch build,
multiplies the same matrices two to three times faster on some CPUs (AMD's among them) and about as fast
on others. Before eval, chat, serve or a training run uses a model on the CPU, `use_fastest` times both
once per process on a matrix of the model's own width and, where oneDNN is clearly faster, lets each
plain `nn.Linear` use it. Both multiply in float32 and differ only in the order of their sums (about
1e-7 of a value). In training, a frozen layer (LoRA's base) multiplies on oneDNN forwards and for its
input's gradient; a layer whose weight is trained keeps PyTorch's ordinary path.

CHEMTUNE_CPU_MATMUL=mkl|onednn fixes the choice instead of timing it (auto, the default, times it).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from chemtune.errors import ChemtuneError

CHOICES = ("auto", "mkl", "onednn")
CLEAR_WIN = 1.2  # oneDNN is used only when it is at least this much faster, so a close call never flips
TIMING_ROWS = 256  # rows of the timed product: between a decoding step's few and an eval batch's thousands


def _product(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """x Wᵀ + b on oneDNN (`weight` may be a transposed view: oneDNN reads its strides)."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


class _FrozenWeightProduct(torch.autograd.Function):
    """x Wᵀ + b for a weight and bias autograd does not train (a LoRA base layer): the forward product
    and the input's gradient, dy W, both on oneDNN."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(weight)
        return _product(x, weight, bias)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, None, None]:
        (weight,) = ctx.saved_tensors
        return _product(grad.contiguous(), weight.t(), None), None, None


class OneDnnLinear(nn.Linear):
    """An `nn.Linear` whose float32 CPU products run on oneDNN; same parameters, same state dict. A weight
    being trained keeps PyTorch's own path (its gradient is not oneDNN's to compute)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _onednn_applies(x, self.weight):
            return functional.linear(x, self.weight, self.bias)
        trained = self.weight.requires_grad or (self.bias is not None and self.bias.requires_grad)
        if not torch.is_grad_enabled() or not (x.requires_grad or trained):
            return _product(x, self.weight, self.bias)
        if trained:
            return functional.linear(x, self.weight, self.bias)
        return _FrozenWeightProduct.apply(x, self.weight, self.bias)


def _onednn_applies(x: torch.Tensor, weight: torch.Tensor) -> bool:
    return (
        x.dtype == torch.float32
        and weight.dtype == torch.float32
        and x.device.type == "cpu"
        and type(weight.data) is torch.Tensor  # not a sharded or quantized tensor subclass
        and not torch.is_autocast_enabled("cpu")
    )


@dataclass(frozen=True)
class Choice:
    """The library picked for a model's float32 products, and why."""

    library: str  # "onednn" or "mkl"
    speedup: float | None = None  # oneDNN's measured speed over MKL's, when timed
    reason: str = ""

    def describe(self) -> str:
        name = "oneDNN" if self.library == "onednn" else "MKL"
        timed = f" (oneDNN {self.speedup:.2f}× MKL's speed on this CPU)" if self.speedup else ""
        return f"float32 matrix products on {name}{timed}{self.reason}"


_timed: dict[tuple[int, int], float] = {}


def onednn_speedup(weight: torch.Tensor) -> float:
    """oneDNN's speed over MKL's on this CPU for a product of `weight`'s width (timed once per width)."""
    out_features, in_features = weight.shape
    key = (min(out_features, 2048), in_features)
    if key not in _timed:
        w = weight.detach()[: key[0]].contiguous()
        x = torch.randn(TIMING_ROWS, in_features, generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            mkl = _best_seconds(lambda: functional.linear(x, w))
            onednn = _best_seconds(lambda: _product(x, w, None))
        _timed[key] = mkl / onednn
    return _timed[key]


def _best_seconds(product: Any, repeats: int = 3) -> float:
    product()  # the first call allocates and, for oneDNN, compiles its kernel
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        best = min(best, time.perf_counter() - start)
    return best


def _onednn_available() -> bool:
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


def _plain_linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if type(m) in (nn.Linear, OneDnnLinear)
            and m.weight.device.type == "cpu" and m.weight.dtype == torch.float32]


def use_fastest(model: nn.Module, choice: str | None = None) -> Choice | None:
    """Let the model's float32 CPU `nn.Linear` layers multiply on the faster library; returns the choice,
    or None for a model with no such layers (on a GPU, or in 16 bits).

    `choice` (else CHEMTUNE_CPU_MATMUL, else "auto") is "auto", "mkl" or "onednn"."""
    choice = (choice or os.environ.get("CHEMTUNE_CPU_MATMUL") or "auto").strip().lower()
    if choice not in CHOICES:
        raise ChemtuneError(f"CHEMTUNE_CPU_MATMUL must be one of {', '.join(CHOICES)}, not {choice!r}.",
                            ko=f"CHEMTUNE_CPU_MATMUL은 {', '.join(CHOICES)} 중 하나여야 합니다({choice!r}는 "
                               "아닙니다).")
    linears = _plain_linears(model)
    if not linears:
        return None
    if choice == "mkl" or not _onednn_available():
        why = " (CHEMTUNE_CPU_MATMUL=mkl)" if choice == "mkl" else " (this PyTorch build has no oneDNN)"
        picked = Choice("mkl", reason=why)
    elif choice == "onednn":
        picked = Choice("onednn", reason=" (CHEMTUNE_CPU_MATMUL=onednn)")
    else:
        widest = max(linears, key=lambda m: m.weight.numel())
        speedup = onednn_speedup(widest.weight)
        picked = Choice("onednn" if speedup >= CLEAR_WIN else "mkl", round(speedup, 2))
    for linear in linears:
        linear.__class__ = OneDnnLinear if picked.library == "onednn" else nn.Linear
    return picked
