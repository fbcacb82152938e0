"""The headless engine. Never imports Qt."""
