// Interop checks of dev.briefcase.vc against the npm implementations. Reads a JSON array of
// requests on stdin, prints a JSON array of answers on stdout (one per request, same order):
//   {op: "verify", jwt}                      did-jwt-vc verifyCredential with key-did-resolver
//   {op: "decode", encodedList, indexes}     @digitalbazaar/vc-bitstring-status-list getStatus
//   {op: "issue", subject, scope, tier, nbf, exp, status}
//                                            did-jwt-vc createVerifiableCredentialJwt, EdDSA, own did:key
//   {op: "encode", length, set}              the npm list with the bits at `set` on, encoded
import { generateKeyPairSync } from 'node:crypto'
import { bytesToBase58, EdDSASigner } from 'did-jwt'
import { createVerifiableCredentialJwt, verifyCredential } from 'did-jwt-vc'
import { Resolver } from 'did-resolver'
import { getResolver } from 'key-did-resolver'
import { createList, decodeList } from '@digitalbazaar/vc-bitstring-status-list'

const resolver = new Resolver(getResolver())

async function verify({ jwt }) {
  try {
    const r = await verifyCredential(jwt, resolver)
    const vc = r.verifiableCredential
    return {
      ok: true,
      issuer: r.issuer,
      signer: r.signer?.id,
      subject: vc.credentialSubject?.id,
      scope: vc.credentialSubject?.scope,
      tier: vc.credentialSubject?.tier,
      context: vc['@context'],
      type: vc.type,
      credentialStatus: vc.credentialStatus ?? null,
    }
  } catch (e) {
    return { ok: false, error: String(e.message ?? e).split('\n')[0] }
  }
}

async function decode({ encodedList, indexes }) {
  try {
    const list = await decodeList({ encodedList })
    return { ok: true, length: list.length, bits: indexes.map((i) => list.getStatus(i)) }
  } catch (e) {
    return { ok: false, error: String(e.message ?? e).split('\n')[0] }
  }
}

async function issue({ subject, scope, tier, nbf, exp, status }) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url')
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url')
  const did = 'did:key:z' + bytesToBase58(Uint8Array.from([0xed, 0x01, ...x]))
  const vc = {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiableCredential'],
    credentialSubject: { scope, tier },
  }
  if (status) vc.credentialStatus = status
  const jwt = await createVerifiableCredentialJwt(
    { sub: subject, nbf, exp, vc },
    { did, signer: EdDSASigner(Uint8Array.from(d)), alg: 'EdDSA' }
  )
  return { ok: true, did, jwt }
}

async function encode({ length, set }) {
  const list = await createList({ length })
  for (const i of set) list.setStatus(i, true)
  return { ok: true, encodedList: await list.encode() }
}

const ops = { verify, decode, issue, encode }
let input = ''
for await (const chunk of process.stdin) input += chunk
const answers = []
for (const req of JSON.parse(input)) {
  const op = ops[req.op]
  answers.push(op ? await op(req) : { ok: false, error: 'unknown op ' + req.op })
}
process.stdout.write(JSON.stringify(answers) + '\n')
