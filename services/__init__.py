"""Pressroom's services: fetcher, deduplicator, summarizer, publisher and the site."""
