"""Mints tokens with PyJWT for cli/tests/interop_pyjwt.rs, and says whether PyJWT itself
accepts each one.

Reads one JSON object on stdin: {"scenarios": [...]}; each scenario has
  name          a label
  alg           the JWS algorithm ("HS256", ...)
  signing_jwk   the key that signs, as a JWK (RFC 7517): {"kty": "oct", "k": ...} for HMAC;
                a private JWK for the public-key algorithms
  verify_jwk    the key PyJWT verifies with (the same JWK for HMAC, the public JWK otherwise)
  kid           the header's "kid", or null for none
  claims        the payload; an object {"now+": N} anywhere is replaced by time.time() + N, a
                float, as applications write dates with PyJWT
  audience, issuer, leeway   what PyJWT's decode is told to require
and prints one JSON object: {"now": <the time.time() used>, "pyjwt": <version>,
"tokens": [{"name", "token", "pyjwt": "accepted" | <exception class name>}]}.
Secrets arrive on stdin only and are never printed.
"""

import json
import sys
import time

import jwt


def resolve(value, now):
    if isinstance(value, dict):
        if set(value) == {"now+"}:
            return now + value["now+"]
        return {k: resolve(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, now) for v in value]
    return value


def key_of(jwk, alg):
    # One path for every algorithm: PyJWK turns an "oct" JWK into HMAC key bytes, and an RSA,
    # EC or OKP JWK into a key object (those need the `cryptography` package).
    return jwt.PyJWK(jwk, algorithm=alg).key


def pyjwt_verdict(token, s):
    try:
        jwt.decode(
            token,
            key_of(s["verify_jwk"], s["alg"]),
            algorithms=[s["alg"]],
            audience=s.get("audience"),
            issuer=s.get("issuer"),
            leeway=s.get("leeway", 0),
            options={"require": ["exp"]},
        )
        return "accepted"
    except jwt.PyJWTError as e:
        return type(e).__name__


def main():
    request = json.load(sys.stdin)
    now = time.time()
    out = []
    for s in request["scenarios"]:
        headers = {"kid": s["kid"]} if s.get("kid") is not None else None
        payload = resolve(s["claims"], now)
        token = jwt.encode(payload, key_of(s["signing_jwk"], s["alg"]), algorithm=s["alg"], headers=headers)
        out.append({"name": s["name"], "token": token, "pyjwt": pyjwt_verdict(token, s)})
    json.dump({"now": now, "pyjwt": jwt.__version__, "tokens": out}, sys.stdout)


if __name__ == "__main__":
    main()
