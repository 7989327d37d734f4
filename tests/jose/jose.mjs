// jose.mjs: keys and tokens made with the jose library (panva/jose, the
// JWT library of Auth0's Node tooling) for tests/integration/test_jwks.py.
//
// Usage: node tests/jose/jose.mjs < request.json > response.json
//
// The request is a JSON array of operations, done in order; the response is
// a JSON array of their results, one per operation, in the same order. One
// call does many operations, so that a test starts node once, not per token.
// On any error: a message on stderr and exit status 1 (no partial output).
//
// Operations:
//   {"op": "generate", "alg": "RS256" | "ES256" | "ES384" | ...,
//    "kid": "k1"?, "use": "sig"?, "setAlg": true?}
//     -> {"jwk": public JWK (exportJWK, plus kid / use / alg when asked),
//         "pkcs8": private key PEM (exportPKCS8), "spki": public key PEM}
//   {"op": "sign", "pkcs8": PEM, "alg": "RS256", "kid": "k1"?,
//    "typ": "at+jwt"?, "header": {...}?, "sub": "...", "ttl": 600?,
//    "iss": "..."?, "aud": "..." | [...]?, "claims": {...}?}
//     -> {"token": compact JWS from SignJWT (iat now, exp now + ttl)}
//   {"op": "jwk", "spki": PEM, "kid": "..."?, "use": "..."?, "alg": "..."?}
//     -> {"jwk": the public JWK of that PEM (exportJWK)}
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import {
  SignJWT, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8,
} from 'jose';

function tag(jwk, op) {
  for (const k of ['kid', 'use']) {
    if (op[k] !== undefined && op[k] !== null) jwk[k] = op[k];
  }
  return jwk;
}

async function generate(op) {
  const { publicKey, privateKey } = await generateKeyPair(op.alg, {
    extractable: true,
    modulusLength: op.modulusLength || 2048,
  });
  const jwk = tag(await exportJWK(publicKey), op);
  if (op.setAlg) jwk.alg = op.alg;
  return {
    jwk,
    pkcs8: await exportPKCS8(privateKey),
    spki: await exportSPKI(publicKey),
  };
}

const imported = new Map();

async function sign(op) {
  const cacheKey = op.alg + '\n' + op.pkcs8;
  let key = imported.get(cacheKey);
  if (key === undefined) {
    key = await importPKCS8(op.pkcs8, op.alg);
    imported.set(cacheKey, key);
  }
  const header = { alg: op.alg, ...(op.header || {}) };
  if (op.kid !== undefined && op.kid !== null) header.kid = op.kid;
  if (op.typ !== undefined && op.typ !== null) header.typ = op.typ;
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ ...(op.claims || {}) })
    .setProtectedHeader(header)
    .setIssuedAt(now)
    .setExpirationTime(now + (op.ttl === undefined ? 600 : op.ttl));
  if (op.sub !== undefined) jwt = jwt.setSubject(op.sub);
  if (op.iss !== undefined) jwt = jwt.setIssuer(op.iss);
  if (op.aud !== undefined) jwt = jwt.setAudience(op.aud);
  return { token: await jwt.sign(key) };
}

async function jwkOf(op) {
  // A node KeyObject: jose's exportJWK takes it as it is, whatever its size
  // (importSPKI would tie it to an algorithm and its size rules).
  const jwk = tag(await exportJWK(createPublicKey(op.spki)), op);
  if (op.alg) jwk.alg = op.alg;
  return { jwk };
}

const OPS = { generate, sign, jwk: jwkOf };

async function main() {
  const ops = JSON.parse(readFileSync(0, 'utf8'));
  if (!Array.isArray(ops)) throw new Error('the request is a JSON array');
  const out = [];
  for (const op of ops) {
    const fn = OPS[op.op];
    if (fn === undefined) {
      throw new Error('unknown op ' + JSON.stringify(op.op));
    }
    out.push(await fn(op));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write('jose.mjs: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
