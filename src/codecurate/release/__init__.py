"""Releases: layout on disk, writer, manifest, card, changelog, verify, patch-optout."""
