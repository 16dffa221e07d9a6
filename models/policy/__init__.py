"""Qualitative judgement: rule overrides, 通用+专业 fusion and jurisdiction profiles."""
