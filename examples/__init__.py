"""Redistributable example inputs for the app (see README.md here); a package so app.py can
import the manifest in ``make_examples``."""
