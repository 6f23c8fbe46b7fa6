"""The click layer: parse flags, call one engine, hand its report to one view.

``app`` builds the group and registers every command explicitly; ``main`` is the entry point
(and the completion helper's); ``funnel`` turns every expected failure into one line on stderr
and an exit code. Nothing here decides anything about pods.
"""
