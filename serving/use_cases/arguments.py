"""Arguments every use case reads the same way."""

from __future__ import annotations


def normal_uscc(uscc: str) -> str:
    """A unified social credit code as stored: surrounding spaces gone, letters upper-case."""
    return uscc.strip().upper()
