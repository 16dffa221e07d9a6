"""The monthly classification run: batch scoring, warnings, analysis, region risk."""
