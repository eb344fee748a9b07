"""Connectif: the tag as its browser script reads it, its tracking requests, its URL patterns."""
