"""The pure diagnosis core: functions from Kubernetes objects (plain dicts) to results.

Nothing in this package performs I/O or imports ``kubernetes`` or ``click``, so the same
functions diagnose a live cluster, a saved dump, or a test fixture.
"""
