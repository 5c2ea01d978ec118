"""The read-only web UI and JSON API over published slates (`spread-eagle serve`)."""
