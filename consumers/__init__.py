"""Consumers: pure normalize() and detect(), and the stage adapters that run them."""
