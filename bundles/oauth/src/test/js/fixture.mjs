// Test fixture of dev.briefcase.oauth, started by the tests on loopback (ephemeral ports):
//  - "as":      oidc-provider with PKCE required, DPoP, resource indicators (JWT access tokens),
//               refresh-token rotation, revocation and open dynamic client registration;
//  - "asNonce": the same, but every DPoP proof must carry a server nonce;
//  - "rs":      a protected resource that publishes RFC 9728 metadata and accepts only DPoP-bound
//               JWT access tokens from its AS with the right cnf.jkt, checking htm, htu, ath, iat,
//               nonce and replayed jti. It also serves hostile metadata for the negative tests.
//               Any path under /api/ is part of /api (htu = that path): GET /api/admin needs scope
//               api:admin (403 insufficient_scope), GET /api/large is ~2 MiB of JSON, and a POST
//               there echoes its JSON body. POST /control/revoke-all makes both ASes revoke every
//               grant (refresh tokens then fail with invalid_grant) and the resource refuse every
//               access token issued so far (invalid_token).
// Prints one JSON line {as, asNonce, rs} on stdout once all three listen; stops on stdin EOF.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const HOST = '127.0.0.1';

function listen(server) {
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server.address().port)));
}

async function signingKeys() {
  const rsa = await jose.generateKeyPair('RS256', { extractable: true });
  const ec = await jose.generateKeyPair('ES256', { extractable: true });
  return {
    keys: [
      { ...(await jose.exportJWK(rsa.privateKey)), kid: 'rs', alg: 'RS256', use: 'sig' },
      { ...(await jose.exportJWK(ec.privateKey)), kid: 'es', alg: 'ES256', use: 'sig' },
    ],
  };
}

async function authorizationServer(requireNonce) {
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://${HOST}:${port}`;
  const provider = new Provider(issuer, {
    jwks: await signingKeys(),
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    scopes: ['openid', 'offline_access', 'api:read'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      revocation: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: crypto.randomBytes(32),
        requireNonce: () => requireNonce,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (!resourceIndicator.startsWith('http://127.0.0.1:')) {
            throw new Provider.errors.InvalidTarget();
          }
          return {
            scope: 'api:read',
            audience: resourceIndicator,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    pkce: { required: () => true },
    // a refresh token for every client allowed the grant, rotated on every use
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: { AccessToken: 600, AuthorizationCode: 300, RefreshToken: 86400, Interaction: 600,
      Session: 600, Grant: 86400 },
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('as server_error', err));
  // what revokeAll needs: every grant, and the ids of the (JWT, unstored) access tokens issued
  const grants = new Set();
  const accessTokens = new Set();
  provider.on('grant.saved', (grant) => grants.add(grant.jti));
  provider.on('access_token.issued', (token) => accessTokens.add(token.jti));
  provider.on('access_token.saved', (token) => accessTokens.add(token.jti));
  // the AS revokes every grant with its tokens; returns the access token ids it had issued
  async function revokeAll() {
    for (const grantId of grants) {
      await provider.AccessToken.revokeByGrantId(grantId);
      await provider.RefreshToken.revokeByGrantId(grantId);
      await provider.AuthorizationCode.revokeByGrantId(grantId);
      await provider.Grant.adapter.destroy(grantId);
    }
    grants.clear();
    const revoked = [...accessTokens];
    accessTokens.clear();
    return revoked;
  }
  server.on('request', provider.callback());
  return { issuer, provider, server, revokeAll };
}

// --- the protected resource -------------------------------------------------------------------

function b64urlSha256(value) {
  return crypto.createHash('sha256').update(value).digest('base64url');
}

async function resourceServer(as, asNonce) {
  const server = http.createServer();
  const port = await listen(server);
  const base = `http://${HOST}:${port}`;
  const jwks = {
    [as.issuer]: jose.createRemoteJWKSet(new URL(`${as.issuer}/jwks`)),
    [asNonce.issuer]: jose.createRemoteJWKSet(new URL(`${asNonce.issuer}/jwks`)),
  };
  // protected paths: which AS issues their tokens and whether proofs need a nonce
  const apis = {
    '/api': { issuer: as.issuer, nonce: false },
    '/api-nonce': { issuer: asNonce.issuer, nonce: true },
    // its metadata is only where its 401 challenge says, under no well-known path
    '/hinted': { issuer: as.issuer, nonce: false, metadata: `${base}/meta/hinted-prm` },
  };
  const seenJti = new Map();
  // access tokens are JWTs the resource checks offline: the ones revoke-all revoked, by jti
  const revokedTokens = new Set();
  let nonce = crypto.randomBytes(16).toString('base64url');
  let rejectAllNonces = false;
  const hits = { '/api': 0, '/api-nonce': 0, '/hinted': 0 };

  function send(res, status, body, headers = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  function prm(resource, servers) {
    return {
      resource,
      authorization_servers: servers,
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: true,
      scopes_supported: ['api:read'],
    };
  }

  function asMetadata(issuer, methods) {
    return {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/reg`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: methods,
    };
  }

  // hostile or odd metadata documents for the discovery tests
  const documents = {
    '/.well-known/oauth-protected-resource/api': prm(`${base}/api`, [as.issuer]),
    '/.well-known/oauth-protected-resource/api-nonce': prm(`${base}/api-nonce`, [asNonce.issuer]),
    '/.well-known/oauth-protected-resource/wrong-prefix': prm(`${base}/other`, [as.issuer]),
    '/.well-known/oauth-protected-resource/mismatch': prm(`${base}/mismatch`, [`${base}/as-mismatch`]),
    '/.well-known/oauth-authorization-server/as-mismatch':
      asMetadata(`${base}/somebody-else`, ['S256']),
    '/.well-known/oauth-protected-resource/no-s256': prm(`${base}/no-s256`, [`${base}/as-plain`]),
    '/.well-known/oauth-authorization-server/as-plain': asMetadata(`${base}/as-plain`, ['plain']),
    // the real AS under another issuer name, whose revocation endpoint is down
    '/.well-known/oauth-protected-resource/dead-revoke':
      prm(`${base}/dead-revoke`, [`${base}/as-dead-revoke`]),
    '/.well-known/oauth-authorization-server/as-dead-revoke': {
      ...asMetadata(`${base}/as-dead-revoke`, ['S256']),
      authorization_endpoint: `${as.issuer}/auth`,
      token_endpoint: `${as.issuer}/token`,
      registration_endpoint: `${as.issuer}/reg`,
      revocation_endpoint: 'http://127.0.0.1:1/revoke',
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
    },
    '/meta/hinted-prm': prm(`${base}/hinted`, [as.issuer]),
    // the origin-level document, the last fallback: it covers /root-only and nothing else
    '/.well-known/oauth-protected-resource': prm(`${base}/root-only`, [as.issuer]),
  };

  function challenge(res, path, error, description, extra = {}) {
    const metadata = apis[path].metadata || `${base}/.well-known/oauth-protected-resource${path}`;
    const parts = [`algs="ES256 EdDSA"`, `resource_metadata="${metadata}"`];
    if (error) parts.unshift(`error="${error}"`, `error_description="${description}"`);
    send(res, 401, { error: error || 'unauthorized' },
      { 'www-authenticate': `DPoP ${parts.join(', ')}`, ...extra });
  }

  // a path under /api/ belongs to the /api resource (its tokens' audience and metadata)
  function resourceOf(path) {
    if (apis[path]) return path;
    return path.startsWith('/api/') ? '/api' : null;
  }

  function readBody(req) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  // what a request under /api/ gets once its credential passed every check
  async function subresource(req, res, path, claims) {
    const scopes = String(claims.scope || '').split(' ');
    if (path === '/api/admin' && !scopes.includes('api:admin')) {
      return send(res, 403, { error: 'insufficient_scope' },
        { 'www-authenticate': 'DPoP error="insufficient_scope", scope="api:admin"' });
    }
    if (req.method === 'GET' && path === '/api/large') {
      return send(res, 200, { items: Array.from({ length: 2048 }, (_, i) => `${i}:${'x'.repeat(1016)}`) });
    }
    if (req.method === 'POST') {
      const body = await readBody(req);
      try {
        return send(res, 200, JSON.parse(body || 'null'));
      } catch {
        return send(res, 400, { error: 'invalid_json' });
      }
    }
    return send(res, 200, { ok: true, sub: claims.sub, scope: claims.scope, method: req.method, path });
  }

  async function check(req, res, path, api, resource = path) {
    const auth = req.headers.authorization || '';
    if (!auth.startsWith('DPoP ')) {
      return challenge(res, resource, auth ? 'invalid_token' : undefined, 'a DPoP-bound token is required');
    }
    const token = auth.slice(5);
    let claims;
    try {
      ({ payload: claims } = await jose.jwtVerify(token, jwks[api.issuer], {
        issuer: api.issuer, audience: `${base}${resource}`, typ: 'at+jwt',
      }));
    } catch {
      return challenge(res, resource, 'invalid_token', 'token does not verify');
    }
    if (revokedTokens.has(claims.jti)) {
      return challenge(res, resource, 'invalid_token', 'token revoked');
    }
    const proof = req.headers.dpop;
    if (!proof || Array.isArray(proof)) {
      return challenge(res, resource, 'invalid_dpop_proof', 'one DPoP proof is required');
    }
    let header;
    let p;
    try {
      ({ payload: p, protectedHeader: header } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
        typ: 'dpop+jwt', algorithms: ['ES256', 'EdDSA'],
      }));
    } catch {
      return challenge(res, resource, 'invalid_dpop_proof', 'proof does not verify');
    }
    const jkt = await jose.calculateJwkThumbprint(header.jwk, 'sha256');
    const now = Math.floor(Date.now() / 1000);
    const problems = [];
    if (!claims.cnf || claims.cnf.jkt !== jkt) problems.push('cnf.jkt');
    if (p.htm !== req.method) problems.push('htm');
    if (p.htu !== `${base}${path}`) problems.push('htu');
    if (p.ath !== b64urlSha256(token)) problems.push('ath');
    if (typeof p.iat !== 'number' || Math.abs(now - p.iat) > 60) problems.push('iat');
    if (typeof p.jti !== 'string' || p.jti.length === 0 || p.jti.length > 128) problems.push('jti');
    if (problems.length) {
      return challenge(res, resource, 'invalid_dpop_proof', `bad ${problems.join(' ')}`);
    }
    if (api.nonce && (rejectAllNonces || p.nonce !== nonce)) {
      return challenge(res, resource, 'use_dpop_nonce', 'use the current nonce', { 'dpop-nonce': nonce });
    }
    const replayKey = `${jkt}:${p.jti}`;
    if (seenJti.has(replayKey)) {
      return challenge(res, resource, 'invalid_dpop_proof', 'replayed proof',
        { 'x-briefcase-error': 'replay_detected' });
    }
    seenJti.set(replayKey, now);
    hits[resource] += 1;
    if (path !== resource) return subresource(req, res, path, claims);
    return send(res, 200, { ok: true, sub: claims.sub, scope: claims.scope, method: req.method });
  }

  server.on('request', (req, res) => {
    const path = new URL(req.url, base).pathname;
    if (req.method === 'GET' && documents[path]) return send(res, 200, documents[path]);
    if (req.method === 'POST' && path === '/control/rotate-nonce') {
      nonce = crypto.randomBytes(16).toString('base64url');
      return send(res, 200, { rotated: true });
    }
    if (req.method === 'POST' && path === '/control/reject-nonces') {
      rejectAllNonces = true;
      return send(res, 200, { rejecting: true });
    }
    if (req.method === 'GET' && path === '/control/hits') return send(res, 200, hits);
    if (req.method === 'POST' && path === '/control/revoke-all') {
      return Promise.all([as.revokeAll(), asNonce.revokeAll()]).then(([a, b]) => {
        [...a, ...b].forEach((jti) => revokedTokens.add(jti));
        send(res, 200, { revoked_access_tokens: a.length + b.length });
      }, (e) => {
        console.error('revoke-all error', e);
        send(res, 500, { error: 'server_error' });
      });
    }
    const resource = resourceOf(path);
    if (resource) {
      return check(req, res, path, apis[resource], resource).catch((e) => {
        console.error('rs error', e);
        send(res, 500, { error: 'server_error' });
      });
    }
    return send(res, 404, { error: 'not_found' });
  });
  return { base, server };
}

const as = await authorizationServer(false);
const asNonce = await authorizationServer(true);
const rs = await resourceServer(as, asNonce);
process.stdout.write(`${JSON.stringify({ as: as.issuer, asNonce: asNonce.issuer, rs: rs.base })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
