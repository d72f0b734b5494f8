// One JSON request on stdin, one JSON answer on stdout.
//   {op:"proofs", htm, htu, ath?, nonce?}  -> {proofs:[{alg, proof, jkt}]}  (EdDSA and ES256)
//   {op:"verify", jwks, token, issuer?, typ?} -> {ok:true, header, payload} | {ok:false, code}
//   {op:"decode", encodedList, indexes}    -> {ok:true, length, bits} (vc-bitstring-status-list)
import * as jose from 'jose';
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));

async function proof(alg, crv) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, crv ? { crv } : {});
  const jwk = await jose.exportJWK(publicKey);
  const claims = { htm: req.htm, htu: req.htu, jti: crypto.randomUUID() };
  if (req.ath) claims.ath = req.ath;
  if (req.nonce) claims.nonce = req.nonce;
  const proof = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
    .setIssuedAt()
    .sign(privateKey);
  return { alg, proof, jkt: await jose.calculateJwkThumbprint(jwk, 'sha256') };
}

let out;
if (req.op === 'proofs') {
  out = { proofs: [await proof('EdDSA', 'Ed25519'), await proof('ES256')] };
} else if (req.op === 'verify') {
  try {
    const keys = jose.createLocalJWKSet(req.jwks);
    const { payload, protectedHeader } = await jose.jwtVerify(req.token, keys, {
      ...(req.issuer ? { issuer: req.issuer } : {}),
      typ: req.typ || 'JWT',
      algorithms: ['EdDSA', 'Ed25519'],
    });
    out = { ok: true, header: protectedHeader, payload };
  } catch (e) {
    out = { ok: false, code: e.code || 'error' };
  }
} else if (req.op === 'decode') {
  try {
    const list = await decodeList({ encodedList: req.encodedList });
    out = { ok: true, length: list.length, bits: req.indexes.map((i) => list.getStatus(i)) };
  } catch (e) {
    out = { ok: false, code: String(e.message ?? e).split('\n')[0] };
  }
} else {
  out = { ok: false, code: 'unknown_op' };
}
process.stdout.write(JSON.stringify(out) + '\n');
