// Hydra's JavaScript SDK (@ory/hydra-client, axios) against a running Latchkey: every admin
// operation Latchkey serves, and the public token, discovery and JWKS calls a login/consent app
// or relying party makes with it. Run by tests/it/sdks.rs:
//
//   NODE_PATH=…/node_modules node hydra_js.mjs ADMIN_URL PUBLIC_URL
//
// Exits non-zero, with the failing step, on the first wrong answer; prints "ok" at the end.
import { createRequire } from 'node:module';
import path from 'node:path';
import crypto from 'node:crypto';

const require = createRequire(path.join(process.env.NODE_PATH || '.', 'noop.js'));
const hydra = require('@ory/hydra-client');

const [ADMIN, PUBLIC] = process.argv.slice(2).map((u) => u.replace(/\/$/, ''));
const CB = 'http://127.0.0.1:9/cb';

function check(cond, what) {
  if (!cond) {
    console.error(`FAILED: ${what}`);
    process.exit(1);
  }
}

async function expectStatus(promise, status, what) {
  try {
    await promise;
  } catch (e) {
    check(e.response && e.response.status === status, `${what}: ${e.response ? e.response.status : e}`);
    return e.response;
  }
  check(false, `${what}: expected ${status}`);
}

/** A cookie jar that reports redirects instead of following them. */
class Browser {
  constructor() {
    this.cookies = new Map();
  }
  async get(url) {
    const headers = {};
    if (this.cookies.size) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    const r = await fetch(url, { redirect: 'manual', headers });
    for (const c of r.headers.getSetCookie()) {
      const [kv, ...attrs] = c.split(';');
      const i = kv.indexOf('=');
      const [k, v] = [kv.slice(0, i).trim(), kv.slice(i + 1)];
      if (attrs.some((a) => /max-age=0/i.test(a)) || v === '') this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    check(r.status >= 300 && r.status < 400, `${url} answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
    return new URL(r.headers.get('location'), url).toString();
  }
}

const param = (url, name) => new URL(url).searchParams.get(name);

const admin = new hydra.Configuration({ basePath: ADMIN });
const oauth2 = new hydra.OAuth2Api(admin);
const jwk = new hydra.JwkApi(admin);
const meta = new hydra.MetadataApi(admin);
const publicConfig = new hydra.Configuration({ basePath: PUBLIC, username: 'js-web', password: 'js-secret-0123' });

// Metadata.
check((await meta.isAlive()).data.status === 'ok', 'isAlive');
check((await meta.isReady()).data.status === 'ok', 'isReady');
check((await meta.getVersion()).data.version, 'getVersion');

// Discovery and keys, as a relying party reads them.
const disco = (await new hydra.OidcApi(new hydra.Configuration({ basePath: PUBLIC })).discoverOidcConfiguration()).data;
check(disco.issuer === `${PUBLIC}/` && disco.id_token_signed_response_alg.length === 1, 'discoverOidcConfiguration');
const jwks = (await new hydra.WellknownApi(new hydra.Configuration({ basePath: PUBLIC })).discoverJsonWebKeys()).data;
check(jwks.keys.some((k) => k.use === 'sig' && !k.d), 'discoverJsonWebKeys');

// Clients.
const created = (await oauth2.createOAuth2Client({
  oAuth2Client: {
    client_id: 'js-web',
    client_secret: 'js-secret-0123',
    client_name: 'JavaScript',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [CB],
    scope: 'openid offline_access',
    post_logout_redirect_uris: ['http://127.0.0.1:9/bye'],
  },
})).data;
check(created.client_secret === 'js-secret-0123', 'createOAuth2Client returns the secret');
await oauth2.createOAuth2Client({ oAuth2Client: { client_id: 'js-other', grant_types: ['client_credentials'] } });
await expectStatus(oauth2.createOAuth2Client({ oAuth2Client: { client_id: 'js-other' } }), 409, 'createOAuth2Client: conflict');
const got = (await oauth2.getOAuth2Client({ id: 'js-web' })).data;
check(got.client_name === 'JavaScript' && got.client_secret === undefined, 'getOAuth2Client');
const page = await oauth2.listOAuth2Clients({ pageSize: 1 });
check(page.data.length === 1 && /rel="next"/.test(page.headers.link), 'listOAuth2Clients: a page and its Link');
const next = /<([^>]+)>; rel="next"/.exec(page.headers.link)[1];
const token = new URL(next, ADMIN).searchParams.get('page_token');
check((await oauth2.listOAuth2Clients({ pageSize: 1, pageToken: token })).data.length === 1, 'listOAuth2Clients: next page');
check((await oauth2.setOAuth2Client({ id: 'js-web', oAuth2Client: { ...got, client_name: 'JavaScript, replaced' } })).data.client_name === 'JavaScript, replaced', 'setOAuth2Client');
check((await oauth2.patchOAuth2Client({ id: 'js-web', jsonPatch: [{ op: 'replace', path: '/client_name', value: 'JavaScript, patched' }] })).data.client_name === 'JavaScript, patched', 'patchOAuth2Client');
check((await oauth2.setOAuth2ClientLifespans({ id: 'js-web', oAuth2ClientTokenLifespans: { client_credentials_grant_access_token_lifespan: '2m' } })).data.client_credentials_grant_access_token_lifespan === '2m0s', 'setOAuth2ClientLifespans');
await oauth2.setOAuth2ClientLifespans({ id: 'js-web', oAuth2ClientTokenLifespans: {} });
await expectStatus(oauth2.getOAuth2Client({ id: 'nobody' }), 404, 'getOAuth2Client: unknown');

async function startFlow(b) {
  const q = new URLSearchParams({
    client_id: 'js-web',
    response_type: 'code',
    scope: 'openid offline_access',
    redirect_uri: CB,
    state: crypto.randomBytes(12).toString('base64url'),
    nonce: crypto.randomBytes(12).toString('base64url'),
  });
  return b.get(`${PUBLIC}/oauth2/auth?${q}`);
}

// A complete flow through the SDK, the code exchanged with the SDK.
const b = new Browser();
let loc = await startFlow(b);
const loginChallenge = param(loc, 'login_challenge');
const login = (await oauth2.getOAuth2LoginRequest({ loginChallenge })).data;
check(login.client.client_id === 'js-web' && login.skip === false, 'getOAuth2LoginRequest');
let redirect = (await oauth2.acceptOAuth2LoginRequest({ loginChallenge, acceptOAuth2LoginRequest: { subject: 'js-user', remember: true, remember_for: 0 } })).data.redirect_to;
loc = await b.get(redirect);
const consentChallenge = param(loc, 'consent_challenge');
const consent = (await oauth2.getOAuth2ConsentRequest({ consentChallenge })).data;
check(consent.subject === 'js-user' && consent.requested_scope.length === 2, 'getOAuth2ConsentRequest');
redirect = (await oauth2.acceptOAuth2ConsentRequest({
  consentChallenge,
  acceptOAuth2ConsentRequest: { grant_scope: consent.requested_scope, remember: true, remember_for: 0, session: { id_token: { email: 'js@example.com' } } },
})).data.redirect_to;
loc = await b.get(redirect);
const code = param(loc, 'code');
check(loc.startsWith(CB) && code, `the code comes back: ${loc}`);
const tokens = (await new hydra.OAuth2Api(publicConfig).oauth2TokenExchange({ grantType: 'authorization_code', code, redirectUri: CB })).data;
check(tokens.id_token && tokens.refresh_token, 'oauth2TokenExchange');
const intro = (await oauth2.introspectOAuth2Token({ token: tokens.access_token })).data;
check(intro.active && intro.sub === 'js-user' && intro.client_id === 'js-web', 'introspectOAuth2Token');
check((await oauth2.introspectOAuth2Token({ token: 'nonsense' })).data.active === false, 'introspect: inactive');
const sessions = (await oauth2.listOAuth2ConsentSessions({ subject: 'js-user' })).data;
check(sessions.length === 1 && sessions[0].consent_request.client.client_id === 'js-web', 'listOAuth2ConsentSessions');
const refreshed = (await new hydra.OAuth2Api(publicConfig).oauth2TokenExchange({ grantType: 'refresh_token', refreshToken: tokens.refresh_token })).data;
check(refreshed.access_token && refreshed.refresh_token !== tokens.refresh_token, 'oauth2TokenExchange: refresh');

// Rejections.
const b2 = new Browser();
loc = await startFlow(b2);
redirect = (await oauth2.rejectOAuth2LoginRequest({ loginChallenge: param(loc, 'login_challenge'), rejectOAuth2Request: { error: 'access_denied', error_description: 'no' } })).data.redirect_to;
check(param(await b2.get(redirect), 'error') === 'access_denied', 'rejectOAuth2LoginRequest');
const b3 = new Browser();
loc = await startFlow(b3);
redirect = (await oauth2.acceptOAuth2LoginRequest({ loginChallenge: param(loc, 'login_challenge'), acceptOAuth2LoginRequest: { subject: 'js-user-2' } })).data.redirect_to;
loc = await b3.get(redirect);
redirect = (await oauth2.rejectOAuth2ConsentRequest({ consentChallenge: param(loc, 'consent_challenge'), rejectOAuth2Request: { error: 'access_denied' } })).data.redirect_to;
check(param(await b3.get(redirect), 'error') === 'access_denied', 'rejectOAuth2ConsentRequest');
await expectStatus(oauth2.getOAuth2LoginRequest({ loginChallenge: 'nonsense' }), 404, 'getOAuth2LoginRequest: unknown');
const gone = await expectStatus(oauth2.getOAuth2LoginRequest({ loginChallenge }), 410, 'getOAuth2LoginRequest: the flow completed');
check(gone.data.redirect_to.startsWith(`${PUBLIC}/oauth2/auth?`), 'a completed login request says where to start over');

// Logout: rejected once, then accepted.
const logoutUrl = `${PUBLIC}/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: refreshed.id_token || tokens.id_token, post_logout_redirect_uri: 'http://127.0.0.1:9/bye' })}`;
loc = await b.get(logoutUrl);
const logout = (await oauth2.getOAuth2LogoutRequest({ logoutChallenge: param(loc, 'logout_challenge') })).data;
check(logout.subject === 'js-user' && logout.rp_initiated, 'getOAuth2LogoutRequest');
await oauth2.rejectOAuth2LogoutRequest({ logoutChallenge: param(loc, 'logout_challenge') });
loc = await b.get(logoutUrl);
redirect = (await oauth2.acceptOAuth2LogoutRequest({ logoutChallenge: param(loc, 'logout_challenge') })).data.redirect_to;
check((await b.get(redirect)).startsWith('http://127.0.0.1:9/bye'), 'acceptOAuth2LogoutRequest');

// Sessions and tokens.
await oauth2.revokeOAuth2ConsentSessions({ subject: 'js-user', client: 'js-web' });
check((await oauth2.listOAuth2ConsentSessions({ subject: 'js-user' })).data.length === 0, 'revokeOAuth2ConsentSessions');
check((await oauth2.introspectOAuth2Token({ token: refreshed.access_token })).data.active === false, 'revoked with the consent');
await oauth2.revokeOAuth2ConsentSessions({ subject: 'js-user-2', all: true });
await oauth2.revokeOAuth2LoginSessions({ subject: 'js-user' });
await oauth2.deleteOAuth2Token({ clientId: 'js-web' });

// JSON Web Keys.
const made = (await jwk.createJsonWebKeySet({ set: 'js-set', createJsonWebKeySet: { alg: 'RS256', kid: 'js-k1', use: 'sig' } })).data;
check(made.keys[0].kid === 'js-k1' && made.keys[0].d, 'createJsonWebKeySet');
check((await jwk.getJsonWebKeySet({ set: 'js-set' })).data.keys[0].kty === 'RSA', 'getJsonWebKeySet');
const key = (await jwk.getJsonWebKey({ set: 'js-set', kid: 'js-k1' })).data.keys[0];
check((await jwk.setJsonWebKey({ set: 'js-set', kid: 'js-k1', jsonWebKey: key })).data.kid === 'js-k1', 'setJsonWebKey');
check((await jwk.setJsonWebKeySet({ set: 'js-set-2', jsonWebKeySet: { keys: [key] } })).data.keys.length === 1, 'setJsonWebKeySet');
await jwk.deleteJsonWebKey({ set: 'js-set', kid: 'js-k1' });
await jwk.deleteJsonWebKeySet({ set: 'js-set-2' });
await expectStatus(jwk.getJsonWebKeySet({ set: 'js-set-2' }), 404, 'getJsonWebKeySet: deleted');

// The device grant with the SDK's current major version (25.x, installed as `hydra25`: 2.2 has no
// device operations). The device asks with Basic credentials (the operation takes no
// parameters), the verification app accepts the user code, login and consent as above, and the
// device's poll gets the tokens.
const hydra25 = require('hydra25');
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
await oauth2.createOAuth2Client({ oAuth2Client: { client_id: 'js-tv', client_secret: 'js-tv-secret-0123', grant_types: [DEVICE], scope: 'openid' } });
const basic = `Basic ${Buffer.from('js-tv:js-tv-secret-0123').toString('base64')}`;
const oauth25 = new hydra25.OAuth2Api(new hydra25.Configuration({ basePath: ADMIN }));
const dev = (await new hydra25.OAuth2Api(new hydra25.Configuration({ basePath: PUBLIC })).oAuth2DeviceFlow({ headers: { Authorization: basic } })).data;
check(dev.device_code.startsWith('ory_dc_') && dev.verification_uri === `${PUBLIC}/oauth2/device/verify`, 'oAuth2DeviceFlow');
async function poll() {
  const r = await fetch(`${PUBLIC}/oauth2/token`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: DEVICE, device_code: dev.device_code }),
  });
  return [r.status, await r.json()];
}
let [st, answer] = await poll();
check(st === 400 && answer.error === 'authorization_pending', `device pending: ${JSON.stringify(answer)}`);
const bd = new Browser();
loc = await bd.get(dev.verification_uri_complete);
const deviceChallenge = param(loc, 'device_challenge');
await expectStatus(oauth25.acceptUserCodeRequest({ deviceChallenge, acceptDeviceUserCodeRequest: { user_code: 'BCDF-GHJK' } }), 400, 'acceptUserCodeRequest: a wrong code');
redirect = (await oauth25.acceptUserCodeRequest({ deviceChallenge, acceptDeviceUserCodeRequest: { user_code: dev.user_code } })).data.redirect_to;
loc = await bd.get(redirect);
redirect = (await oauth25.acceptOAuth2LoginRequest({ loginChallenge: param(loc, 'login_challenge'), acceptOAuth2LoginRequest: { subject: 'js-tv-user' } })).data.redirect_to;
loc = await bd.get(redirect);
const deviceConsent = (await oauth25.getOAuth2ConsentRequest({ consentChallenge: param(loc, 'consent_challenge') })).data;
check(deviceConsent.client.client_id === 'js-tv' && !deviceConsent.skip, 'device consent request');
redirect = (await oauth25.acceptOAuth2ConsentRequest({ consentChallenge: param(loc, 'consent_challenge'), acceptOAuth2ConsentRequest: { grant_scope: deviceConsent.requested_scope } })).data.redirect_to;
loc = await bd.get(redirect);
check(loc.includes('/ui/device/done') && param(loc, 'client_id') === 'js-tv', `device success page: ${loc}`);
[st, answer] = await poll();
check(st === 200 && answer.access_token, `device tokens: ${JSON.stringify(answer)}`);
check((await oauth2.introspectOAuth2Token({ token: answer.access_token })).data.sub === 'js-tv-user', 'device token introspected');
await oauth2.deleteOAuth2Client({ id: 'js-tv' });

// The JWT-bearer grant (RFC 7523): a P-256 key made by node's crypto as an identity provider's,
// the trust relationship operations, an ES256 assertion signed by node's crypto, exchanged at the
// token endpoint.
{
  const { generateKeyPairSync, sign, randomUUID } = await import('node:crypto');
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const idpJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'js-idp-1', alg: 'ES256', use: 'sig' };
  const expires = new Date(Date.now() + 3600_000).toISOString();
  const trusted = (await oauth2.trustOAuth2JwtGrantIssuer({ trustOAuth2JwtGrantIssuer: { issuer: 'https://js-idp.example', allow_any_subject: true, scope: ['read', 'write'], jwk: idpJwk, expires_at: expires } })).data;
  check(trusted.allow_any_subject === true && trusted.public_key.kid === 'js-idp-1', 'trustOAuth2JwtGrantIssuer');
  check((await oauth2.getTrustedOAuth2JwtGrantIssuer({ id: trusted.id })).data.issuer === 'https://js-idp.example', 'getTrustedOAuth2JwtGrantIssuer');
  const listed = (await oauth2.listTrustedOAuth2JwtGrantIssuers({ issuer: 'https://js-idp.example' })).data;
  check(listed.length === 1 && listed[0].id === trusted.id, 'listTrustedOAuth2JwtGrantIssuers');
  await oauth2.createOAuth2Client({ oAuth2Client: { client_id: 'js-svc', client_secret: 'js-svc-secret-0123', grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] } });
  const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'ES256', kid: 'js-idp-1', typ: 'JWT' })}.${b64({ iss: 'https://js-idp.example', sub: 'js-bob', aud: `${PUBLIC}/oauth2/token`, iat: now, exp: now + 300, jti: randomUUID() })}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const r = await fetch(`${PUBLIC}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('js-svc:js-svc-secret-0123').toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${input}.${signature}`, scope: 'write' }),
  });
  const answer = await r.json();
  check(r.status === 200, `jwt-bearer exchange: ${JSON.stringify(answer)}`);
  const intro = (await oauth2.introspectOAuth2Token({ token: answer.access_token })).data;
  check(intro.active && intro.sub === 'js-bob' && intro.client_id === 'js-svc' && intro.scope === 'write', `jwt-bearer token introspected: ${JSON.stringify(intro)}`);
  await oauth2.deleteTrustedOAuth2JwtGrantIssuer({ id: trusted.id });
  await expectStatus(oauth2.getTrustedOAuth2JwtGrantIssuer({ id: trusted.id }), 404, 'deleteTrustedOAuth2JwtGrantIssuer');
  await oauth2.deleteOAuth2Client({ id: 'js-svc' });
}

// Dynamic client registration (RFC 7591/7592) through the SDK's OidcApi; the registration access
// token is the bearer credential (the SDK's accessToken).
{
  const dcr = new hydra.OidcApi(new hydra.Configuration({ basePath: PUBLIC }));
  const reg = (await dcr.createOidcDynamicClient({ oAuth2Client: { client_name: 'js-self', grant_types: ['client_credentials'] } })).data;
  check(reg.client_id && reg.client_secret && reg.registration_access_token, 'createOidcDynamicClient');
  const mine = new hydra.OidcApi(new hydra.Configuration({ basePath: PUBLIC, accessToken: reg.registration_access_token }));
  const got = (await mine.getOidcDynamicClient({ id: reg.client_id })).data;
  check(got.client_name === 'js-self' && !got.client_secret, 'getOidcDynamicClient');
  const updated = (await mine.setOidcDynamicClient({ id: reg.client_id, oAuth2Client: { ...got, client_name: 'js-self, renamed' } })).data;
  check(updated.client_name === 'js-self, renamed' && updated.registration_access_token !== reg.registration_access_token, 'setOidcDynamicClient');
  await expectStatus(mine.getOidcDynamicClient({ id: reg.client_id }), 401, 'the replaced registration token');
  const fresh = new hydra.OidcApi(new hydra.Configuration({ basePath: PUBLIC, accessToken: updated.registration_access_token }));
  await fresh.deleteOidcDynamicClient({ id: reg.client_id });
  await expectStatus(oauth2.getOAuth2Client({ id: reg.client_id }), 404, 'deleteOidcDynamicClient');
}

// And the clients go.
await oauth2.deleteOAuth2Client({ id: 'js-other' });
await oauth2.deleteOAuth2Client({ id: 'js-web' });
await expectStatus(oauth2.getOAuth2Client({ id: 'js-web' }), 404, 'deleteOAuth2Client');
console.log('ok');
