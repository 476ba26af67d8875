"""Views of the account flows, on the main host under /accounts/."""
