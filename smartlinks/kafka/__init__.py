"""Kafka transport for the distributed mode: click publisher, click source, link-change feed."""
