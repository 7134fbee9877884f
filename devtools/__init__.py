"""Developer tooling, not part of a deployed pipeline's runtime.

- :mod:`devtools.kafka`: a local Apache Kafka broker (or 3-node cluster) from Maven-resolved jars,
  ``newsstream dev kafka``;
- :mod:`devtools.demo`: the offline demo feeds and their server, ``newsstream dev feeds serve``;
- :mod:`devtools.supervisor` and :mod:`devtools.liveview`: ``newsstream run``'s child processes and
  its live view of their metrics.

It may import the runtime (``newsstream``), ``schemas``, ``articles`` and the stages; of ours only
``newsstream.cli`` imports it (tests/unit/test_import_direction.py).
"""
