// The peer of `bench_peer`: node oidc-provider minting client-credentials access tokens as
// planner-bridge's /auth/token does (ES256 JWTs, 300 s, one confidential client, Basic auth).
// Run from the folder oidc-provider is installed in (ES modules resolve from the file's place):
//   PEER_SECRET=... node oidc_provider.mjs   → prints "listening on PORT" once it accepts.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const RESOURCE = 'urn:example:api';
const secret = process.env.PEER_SECRET;
if (!secret) throw new Error('PEER_SECRET is required');

// An EC P-256 key made at start, as a fresh planner-bridge data folder makes its own.
const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
Object.assign(jwk, { kid: 'bench-es256', alg: 'ES256', use: 'sig' });

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{
      client_id: 'svc-billing',
      client_secret: secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256', // the one key is ES256 (the default is RS256)
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [secret] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api:read',
          audience: RESOURCE,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    ttl: { ClientCredentials: 300 },
  });
  server.on('request', provider.callback());
  console.log(`listening on ${port}`);
});
