"""The Gradio web UI: one module per tab, shared controls, and server settings.

``app.py`` assembles the tabs into one Blocks and launches it. Handlers here read inputs,
call :mod:`pose` and format its results; no pose logic lives in this package.
"""
