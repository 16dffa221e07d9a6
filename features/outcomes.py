"""Adverse outcomes: a record type, optionally narrowed to one outcome value.

The label (`features.label`) asks whether one happens in the months after the as-of date;
the generic related-party features (`features.engineering.generic`) count the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.reference.record_types import BY_CODE


@dataclass(frozen=True)
class Outcome:
    record_type: str
    outcome: str | None = None

    @classmethod
    def parse(cls, text: str) -> Outcome:
        """``administrative_penalty`` or ``spot_check:problem_found``; errors name the problem."""
        record_type, _, value = text.partition(":")
        if record_type not in BY_CODE:
            raise ValueError(
                f"outcome {text!r}: expected a record type ({', '.join(BY_CODE)}), "
                f"found {record_type!r}"
            )
        allowed = BY_CODE[record_type].outcomes
        if value and value not in allowed:
            raise ValueError(
                f"outcome {text!r}: expected one of {', '.join(allowed) or 'no outcome'} "
                f"after ':', found {value!r}"
            )
        return cls(record_type, value or None)

    def __str__(self) -> str:
        return f"{self.record_type}:{self.outcome}" if self.outcome else self.record_type


DEFAULT_OUTCOMES = (
    Outcome("administrative_penalty"),
    Outcome("abnormal_operation"),
    Outcome("serious_dishonesty"),
    Outcome("dishonest_debtor"),
    Outcome("spot_check", "problem_found"),
)
