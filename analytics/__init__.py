"""KPIs, profiles, origin and campaign effects, computed from consented, pseudonymous data only."""
