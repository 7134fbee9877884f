"""One article extractor for the pages producer and the normalizer: trafilatura plus JSON-LD. Pure."""

from articles.extract.jsonld import JsonLd, parse_blocks
from articles.extract.page import PageContent, extract

__all__ = ["JsonLd", "PageContent", "extract", "parse_blocks"]
