"""Kringloop: device lifecycle and residual-value donation manager."""
