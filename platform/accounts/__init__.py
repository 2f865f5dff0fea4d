"""People: the custom user (e-mail login), roles, allauth wiring and the permission helper."""
