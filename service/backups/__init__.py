"""Backups of the whole database: ``kringloop backup FILE`` and ``kringloop restore FILE``."""
