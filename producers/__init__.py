"""Feed producers: the base API and registry, the HTTP fetcher, RSS/Atom and JSON Feed producers."""
