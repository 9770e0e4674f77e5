"""Whole folders: inputs, journal and results, COCO scoring, a Ray cluster."""
