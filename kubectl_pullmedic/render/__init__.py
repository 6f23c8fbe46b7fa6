"""Turning results into text: kubectl-style tables (tables), JSON/YAML documents (documents),
and one module per command's view. Imports only the core and itself: no I/O.
"""
