"""Names shown as text, never as Markdown (the function lives in vocab/markdown.py, which every layer may import)."""

from __future__ import annotations

from vocab.markdown import literal

__all__ = ["literal"]
