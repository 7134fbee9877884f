"""newsstream: event-streaming ingestion for news on Apache Kafka."""

__version__ = "0.1.0"
