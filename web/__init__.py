"""``newsstream web``: a read-only web page, JSON API and Atom feeds over the archive (consumers.archive)."""
