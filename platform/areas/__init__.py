"""Shopping areas (collectives), their merchants, opening hours and staff memberships."""
