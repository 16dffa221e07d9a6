"""Point-in-time feature definitions as Ibis expressions: one definition, any engine."""

from features.engineering.build import features_at

__all__ = ["features_at"]
