"""Command groups of the ``nemorun`` application."""
