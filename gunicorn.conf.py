"""gunicorn's settings; it reads this file from its working directory (`gunicorn agora.wsgi` at the repository root)."""

# Load the application once in the master, then fork the workers: they share its pages copy on write (Django,
# Wagtail, analytics' pandas/scipy/statsmodels), and agora/wsgi.py's gc.freeze keeps the collector from touching,
# and so copying, them. Nothing opens a connection, thread or file at import. With 5 workers: 1023 MiB PSS in total
# without, 372 MiB with (docs/benchmarks.md, "Process memory"). New code needs a restart of the master (or USR2):
# a HUP forks the new workers from the code already loaded.
preload_app = True
