"""Sensor and weather importers: our own CSV/JSON, Telraam reports, Hystreet exports, KNMI daily files.

Parsers (`own`, `telraam`, `hystreet`, `knmi`) read bytes into rows and problems and never write;
`service` checks and writes all or nothing, with progress on the `ImportRun`. docs/analytics-data.md
documents the formats.
"""
