"""The monthly classification run: batch scoring, warnings, analysis, regional risk."""
