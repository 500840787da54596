"""The token service's clients, the legal entities: how their signed requests are read
(`signature_fields`: RFC 9421 and RFC 9530 fields)."""
