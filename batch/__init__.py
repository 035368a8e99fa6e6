"""Batch runs of many rules and scenarios: plan, execution, store, comparison."""
