"""The loss curve as a small PNG for a model card (Pillow only: a card image needs no plotting stack)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WIDTH, HEIGHT, MARGIN = 640, 360, 56
TRAIN_COLOR, EVAL_COLOR = (37, 99, 235), (220, 38, 38)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def draw_loss_png(losses: list[dict[str, Any]], path: Path, title: str = "training loss") -> Path:
    """Training loss (blue) and eval loss (red dots) against the step, written to `path`."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = MARGIN + 10, 30, WIDTH - 20, HEIGHT - MARGIN
    draw.rectangle([left, top, right, bottom], outline=(160, 160, 160))
    draw.text((left, 8), title, fill=(0, 0, 0))
    points = [(row["step"], row["loss"]) for row in losses]
    evals = [(row["step"], row["eval_loss"]) for row in losses if "eval_loss" in row]
    if not points:
        draw.text((left + 20, (top + bottom) // 2), "no training steps recorded", fill=(90, 90, 90))
        image.save(path, format="PNG")
        return Path(path)
    values = [v for _, v in points + evals]
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or 0.5
    low, high = low - pad, high + pad
    first, last = points[0][0], max(points[-1][0], points[0][0] + 1)

    def xy(step: float, value: float) -> tuple[float, float]:
        x = left + (step - first) / (last - first) * (right - left)
        y = bottom - (value - low) / (high - low) * (bottom - top)
        return x, y

    for value in _ticks(low, high):
        _, y = xy(first, value)
        draw.line([left - 4, y, left, y], fill=(120, 120, 120))
        draw.text((4, y - 6), f"{value:.3g}", fill=(60, 60, 60))
    for step in _ticks(first, last):
        x, _ = xy(step, low)
        draw.line([x, bottom, x, bottom + 4], fill=(120, 120, 120))
        draw.text((x - 10, bottom + 8), f"{step:.0f}", fill=(60, 60, 60))
    draw.text(((left + right) // 2 - 12, HEIGHT - 22), "step", fill=(0, 0, 0))
    if len(points) == 1:
        x, y = xy(*points[0])
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=TRAIN_COLOR)
    else:
        draw.line([xy(s, v) for s, v in points], fill=TRAIN_COLOR, width=2)
    for step, value in evals:
        x, y = xy(step, value)
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=EVAL_COLOR)
    draw.text((right - 150, top + 6), "— train loss", fill=TRAIN_COLOR)
    if evals:
        draw.text((right - 150, top + 20), "● eval loss", fill=EVAL_COLOR)
    image.save(path, format="PNG")
    return Path(path)
