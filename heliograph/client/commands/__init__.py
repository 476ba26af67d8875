"""The command groups of `heliograph`, one module per noun."""
