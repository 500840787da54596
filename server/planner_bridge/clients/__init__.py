"""The token service's clients, the legal entities: who they are and their API keys
(`entities`), and how their signed requests are checked (`signatures`, over the RFC 9421 and
RFC 9530 fields `signature_fields` reads)."""
