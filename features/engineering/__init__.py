"""Point-in-time feature definitions as Ibis expressions: one definition, any engine."""

from features.engineering.build import feature_table, features_at

__all__ = ["feature_table", "features_at"]
