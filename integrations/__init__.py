"""Partner integrations: httpx clients behind the Protocols in ``ports.py``, each with a fake."""
