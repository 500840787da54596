// Two npm DPoP clients against a running planner origin (driven by tests/test_dpop_interop.py).
// Credentials come in the environment, never on the command line:
//   PB_ISSUER, PB_CLIENT_ID, PB_CLIENT_SECRET, PB_ASSET_ID
// Prints one JSON line per client with what it saw; exits non-zero on any failure.
import * as oauth from 'oauth4webapi';
import * as dpop from 'dpop';

const env = process.env;
const issuer = new URL(env.PB_ISSUER);
const assetUrl = new URL(`/v1/assets/${env.PB_ASSET_ID}`, issuer);
const insecure = { [oauth.allowInsecureRequests]: true }; // the test server is plain http on 127.0.0.1

/** oauth4webapi, as its README shows DPoP: discovery, client credentials, a resource call. */
async function withOauth4webapi() {
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  const client = { client_id: env.PB_CLIENT_ID };
  const auth = oauth.ClientSecretBasic(env.PB_CLIENT_SECRET);
  const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
  const params = new URLSearchParams({ scope: 'read' });
  const grant = () => oauth.clientCredentialsGrantRequest(as, client, auth, params, { DPoP, ...insecure });
  let tokens;
  try {
    tokens = await oauth.processClientCredentialsResponse(as, client, await grant());
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    tokens = await oauth.processClientCredentialsResponse(as, client, await grant());
  }
  const call = () => oauth.protectedResourceRequest(tokens.access_token, 'GET', assetUrl, new Headers(), null, { DPoP, ...insecure });
  let retried = false;
  let response;
  try {
    response = await call();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    retried = true; // the library cached the server's nonce; the documented one retry
    response = await call();
  }
  const second = await call(); // the nonce is cached now: no retry
  return {
    client: 'oauth4webapi',
    token_type: tokens.token_type,
    status: response.status,
    name: (await response.json()).name,
    retried,
    second_status: second.status,
  };
}

/** Proofs made by the `dpop` package, sent by plain fetch. */
async function withDpopPackage() {
  const keyPair = await dpop.generateKeyPair('ES256');
  const tokenUrl = new URL('/auth/token', issuer).href;
  const basic = Buffer.from(`${env.PB_CLIENT_ID}:${env.PB_CLIENT_SECRET}`).toString('base64');
  const tokenAnswer = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      dpop: await dpop.generateProof(keyPair, tokenUrl, 'POST'),
    },
    body: 'grant_type=client_credentials',
  });
  const token = await tokenAnswer.json();
  if (tokenAnswer.status !== 200) throw new Error(`token: ${tokenAnswer.status} ${JSON.stringify(token)}`);
  const get = async (nonce) => fetch(assetUrl, {
    headers: {
      authorization: `DPoP ${token.access_token}`,
      dpop: await dpop.generateProof(keyPair, assetUrl.href, 'GET', nonce, token.access_token),
    },
  });
  const asked = await get(undefined);
  const nonce = asked.headers.get('dpop-nonce');
  const answer = await get(nonce);
  return {
    client: 'dpop',
    token_type: token.token_type,
    first_status: asked.status,
    status: answer.status,
    name: (await answer.json()).name,
  };
}

for (const run of [withOauth4webapi, withDpopPackage]) {
  console.log(JSON.stringify(await run()));
}
