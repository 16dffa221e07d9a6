"""Explanations: exact TreeSHAP in log-odds, carried into score points."""
