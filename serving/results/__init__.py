"""The results store: classification runs, results, warnings and analyses (SQLAlchemy)."""
