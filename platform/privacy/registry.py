"""Where every app declares the personal data it holds, so export and erasure reach all of it.

    register(Model, label=_("…"), subject_path="user", fields=[...], on_erase="delete")

- `subject_path`: lookup from the model to the person (``"pk"`` for the user itself).
- `fields`: the personal fields exported for the person (and checked by the tests).
- `on_erase`: ``"delete"`` (the rows go), ``"anonymise"`` (the `anonymise` mapping of field to
  value — or callable taking the row — is written), or ``"keep"`` (bookkeeping that holds no
  identifying text; it stays, linked only to the anonymised account).
- `order`: erasure runs in ascending order; the user row itself goes last.
"""
# (filled in by the privacy work; see privacy/services.py)
