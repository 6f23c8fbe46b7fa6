"""Evictions and admission rejections: the kubelet's messages parsed, sized fixes, and the
cleanup plan (what `clean` deletes and what it keeps, and why).
"""
