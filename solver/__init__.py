"""Formulation, backends, result, checker and explanations of the allocation model."""
