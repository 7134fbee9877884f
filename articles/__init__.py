"""Pure article-text logic shared by producers and consumers (imports only ``schemas`` and third-party libraries)."""
