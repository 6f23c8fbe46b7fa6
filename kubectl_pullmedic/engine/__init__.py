"""One engine per command: read through a cluster reader, decide in the core, return a report.

No click, no printing: a command's click function parses flags, calls its engine once and
hands the report to its view. The registry prober comes in as a function, so an engine
never imports the code that talks to registries.
"""
