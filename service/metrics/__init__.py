"""Operations metrics: ``GET /metrics`` in the Prometheus text format."""
