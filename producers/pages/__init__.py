"""The ``pages`` producer: revisit article pages on an age ladder to catch later corrections.

Most corrections are made on the article page hours or days after publication, when the item has
left the feed. This package learns article URLs from ``news.normalized.v1`` (the first sighting of
an id), revisits each page at 15 min, 1 h, 3 h, 12 h, 1 d, 3 d, 7 d and 30 d after it (configurable
globally and per publisher), and sends what the page says now to ``news.raw.v1`` as a RawArticle
with ``source: "page"`` and the same article id, so it goes through the normalizer and the detector
like any version. A page that is gone (404/410 twice, or a redirect to the home page) is sent as a
RawArticle with ``page.gone`` set, which the detector turns into an ``unpublished`` event.

Modules, pure ones first:

- :mod:`~producers.pages.ladder`     the age ladder: steps, per-publisher policy, overdue collapse
- :mod:`~producers.pages.schedule`   schedule entries, their compacted-topic record, the due-time heap
- :mod:`~producers.pages.polite`     per-host queues: concurrency 1, minimum delay, global rate
- :mod:`~producers.pages.revisit`    what one fetch outcome does to an entry (gone pages, next step)
- :mod:`~producers.pages.extract`    PageContent (:mod:`articles.extract`, shared) -> RawArticle
- :mod:`~producers.pages.robots`     robots.txt, fetched with the Fetcher, cached per origin
- :mod:`~producers.pages.metrics`    the stage's Prometheus metrics
- :mod:`~producers.pages.stage`      the Kafka loop (consumer group, transactions, restore)
"""
