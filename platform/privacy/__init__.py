"""Privacy by design: consent registry, data-subject rights (export, erasure, retention), audit log."""
