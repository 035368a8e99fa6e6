"""Turning regions and results into text, tables and plots for planners."""
