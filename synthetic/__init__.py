"""The synthetic province: a deterministic generator of the four input tables for Henan.

``generate(out_dir, enterprises=…, months=…, seed=…)`` writes enterprises, records, relations
and inspections (Parquet, CSV or JSON Lines) plus ``_hidden_risk.parquet`` for diagnostics.
"""

from synthetic.generator import HIDDEN_FILE, SynthSummary, generate

__all__ = ["HIDDEN_FILE", "SynthSummary", "generate"]
