"""Every state change of the webshop, one module per concern (see each module's docstring)."""
