"""Image pulls: image references, the runtimes' wordings, classification of a pull error, and
the summary and paste-ready fix per cause.
"""
