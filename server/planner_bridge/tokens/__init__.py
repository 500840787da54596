"""Tokens: how one is asked for (the grants: `client_credentials` for `/auth/token`,
`signed_requests` for `/v1/tokens`, `api_tokens` and their exchange; `metadata` describes the
endpoints), minted (`issuer`) and checked (`verification`, against our keys or a remote JWKS
through `jwks`)."""
