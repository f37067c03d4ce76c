// jwt-verify: checks a keyhole EdDSA JWT against a JWKS with node's own
// crypto alone, so that the tokens are shown to be standard (RFC 8037,
// RFC 7515, RFC 7517), not merely consistent with our own verifier.
//
//   node tests/http/jwt-verify.js JWKS-FILE TOKEN
//
// Exit 0 and the claims on stdout when valid; 1 and why on stderr when not.
'use strict';

const crypto = require('crypto');
const fs = require('fs');

function fail(why) {
	process.stderr.write('jwt-verify: ' + why + '\n');
	process.exit(1);
}

// Node's base64url decoder skips what it does not know and ignores the
// unused low bits of the last character: accept only the canonical form.
function unb64(s) {
	let b;

	if (!/^[A-Za-z0-9_-]+$/.test(s) ||
	    (b = Buffer.from(s, 'base64url')).toString('base64url') !== s)
		fail('not canonical base64url: ' + s.slice(0, 40));
	return b;
}

function json(text, what) {
	try {
		return JSON.parse(text);
	} catch (e) {
		return fail(what + ': ' + e.message);
	}
}

if (process.argv.length !== 4)
	fail('usage: jwt-verify.js JWKS-FILE TOKEN');
let text;
try {
	text = fs.readFileSync(process.argv[2], 'utf8');
} catch (e) {
	fail(e.message);
}
const jwks = json(text, 'JWKS');
const parts = process.argv[3].trim().split('.');
if (parts.length !== 3)
	fail('not three parts');
const header = json(unb64(parts[0]).toString('utf8'), 'header');
if (header === null || typeof header !== 'object' || header.alg !== 'EdDSA')
	fail('alg is not EdDSA');
if (typeof header.kid !== 'string')
	fail('no kid');
const jwk = (Array.isArray(jwks.keys) ? jwks.keys : [])
    .find((k) => k && k.kid === header.kid);
if (jwk === undefined)
	fail('no key ' + header.kid + ' in the JWKS');
if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || jwk.alg !== 'EdDSA' ||
    jwk.use !== 'sig' || 'd' in jwk)
	fail('key ' + header.kid + ' is not a public Ed25519 signing key');
let key;
try {
	key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
} catch (e) {
	fail('key ' + header.kid + ': ' + e.message);
}
const sig = unb64(parts[2]);
const data = Buffer.from(parts[0] + '.' + parts[1], 'ascii');
if (!crypto.verify(null, data, key, sig))
	fail('bad signature');
const claims = unb64(parts[1]).toString('utf8');
const c = json(claims, 'claims');
if (c === null || typeof c !== 'object' || Array.isArray(c))
	fail('claims are not an object');
process.stdout.write(claims + '\n');
process.exit(0);
