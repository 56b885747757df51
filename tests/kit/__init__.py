"""Offline image kit for tests and samples (see README.md)."""

from .images import KitError, ensure_images, known_images

__all__ = ["KitError", "ensure_images", "known_images"]
