"""Registry probes, decided without I/O: what to ask (plan), the prober's rules (credential
destinations, challenges, platforms, proxies) and the answers' types.
"""
