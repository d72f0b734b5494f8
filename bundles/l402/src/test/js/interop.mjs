// Interop checks of dev.briefcase.l402 against npm macaroon 3.0.4 and bolt11 1.4.1. Reads a JSON
// array of requests on stdin, prints a JSON array of answers on stdout (one per request, same order):
//   {op: "mint", rootKeyHex, location, identifierHex, caveats}   macaroon V2 -> {macaroon: b64}
//   {op: "verify", macaroon, rootKeyHex}     import + verify (every first-party caveat accepted)
//                                            -> {ok, location, identifierHex, caveats} | {ok: false, error}
//   {op: "decode", invoice}                  bolt11.decode -> the fields Briefcase reads | {ok: false}
//   {op: "encode", network, msat, timestamp, paymentHashHex, paymentSecretHex, description,
//    expiry, cltv, privateKeyHex}            bolt11.encode + sign -> {invoice}
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const macaroon = require('macaroon')
const bolt11 = require('bolt11')

const hex = (h) => Uint8Array.from(Buffer.from(h, 'hex'))
const toHex = (b) => Buffer.from(b).toString('hex')
const network = (bech32) => ({ bech32, pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] })

function mint({ rootKeyHex, location, identifierHex, caveats }) {
  const m = macaroon.newMacaroon({ identifier: hex(identifierHex), location, rootKey: hex(rootKeyHex), version: 2 })
  for (const c of caveats) m.addFirstPartyCaveat(c)
  return { macaroon: Buffer.from(m.exportBinary()).toString('base64') }
}

function verify({ macaroon: b64, rootKeyHex }) {
  try {
    const m = macaroon.importMacaroon(b64)
    m.verify(hex(rootKeyHex), () => null)
    return {
      ok: true,
      location: m.location,
      identifierHex: toHex(m.identifier),
      caveats: m.caveats.map((c) => Buffer.from(c.identifier).toString('utf8')),
    }
  } catch (e) {
    return { ok: false, error: String(e.message ?? e).split('\n')[0] }
  }
}

function decode({ invoice }) {
  try {
    const prefix = invoice.toLowerCase().match(/^ln([a-z]+)/)[1]
    const d = bolt11.decode(invoice, prefix === 'tbs' ? network('tbs') : undefined)
    const tag = (name) => d.tags.find((t) => t.tagName === name)?.data ?? null
    return {
      ok: true,
      network: d.network.bech32,
      msat: d.millisatoshis ?? null,
      timestamp: d.timestamp,
      payeeNodeKey: d.payeeNodeKey,
      signatureHex: d.signature,
      recoveryFlag: d.recoveryFlag,
      paymentHash: tag('payment_hash'),
      paymentSecret: tag('payment_secret'),
      description: tag('description'),
      expiry: tag('expire_time'),
      cltv: tag('min_final_cltv_expiry'),
    }
  } catch (e) {
    return { ok: false, error: String(e.message ?? e).split('\n')[0] }
  }
}

function encode(r) {
  const tags = [{ tagName: 'payment_hash', data: r.paymentHashHex }]
  if (r.paymentSecretHex) tags.push({ tagName: 'payment_secret', data: r.paymentSecretHex })
  tags.push({ tagName: 'description', data: r.description })
  if (r.expiry != null) tags.push({ tagName: 'expire_time', data: r.expiry })
  if (r.cltv != null) tags.push({ tagName: 'min_final_cltv_expiry', data: r.cltv })
  tags.push({
    tagName: 'feature_bits',
    data: {
      word_length: 4,
      var_onion_optin: { required: true, supported: true },
      payment_secret: { required: true, supported: true },
    },
  })
  const unsigned = bolt11.encode(
    { network: network(r.network), millisatoshis: r.msat, timestamp: r.timestamp, tags },
    false,
  )
  return { invoice: bolt11.sign(unsigned, r.privateKeyHex).paymentRequest }
}

const ops = { mint, verify, decode, encode }
const chunks = []
for await (const c of process.stdin) chunks.push(c)
const requests = JSON.parse(Buffer.concat(chunks).toString('utf8'))
process.stdout.write(JSON.stringify(requests.map((r) => ops[r.op](r))))
