"""Signing keys: the ring in the database (`ring`: active signs, passive verifies and is
published, retired), the `Signer` interface every signature goes through (`signing`), and the
one-time import of an old file ring (`ring_file`)."""
