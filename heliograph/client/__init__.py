"""`heliograph`: the command-line client of the management API v1.

This package talks to a Heliograph server over HTTP only. It imports neither Django nor the
server's modules, so it runs on any machine with the package installed.
"""
