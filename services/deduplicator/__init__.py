"""Deduplicator: drops exact duplicates, marks syndicated copies, clusters articles into stories."""
