"""Evaluation: wave-boundary, beat and rhythm metrics, and the NeuroKit2 baseline."""
