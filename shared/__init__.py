"""Pressroom's shared package: event contracts, topics, settings, broker, database, metrics."""
