//! Attacks on public-key tokens (SPEC §6), each a named test, through the whole path: the
//! committed example policy (its identity-provider keys compiled from policies/idp.jwks.json),
//! the engine, and tokens signed (or forged) with the dev private keys.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core, reason = "test code")]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use warden::policy::Alg;
use warden::{Engine, Header, Request};
use warden_cli::testkeys::{self, PrivateJwk};

const NOW: u64 = 1_767_225_600;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn key(kid: &str) -> PrivateJwk {
    let keys = testkeys::read_private_set(&root().join("policies/idp.dev-private.jwks.json")).unwrap();
    keys.into_iter().find(|k| k.kid == kid).unwrap()
}

/// The signing input of a token with this header `alg` and `kid` and valid claims.
fn input(alg: &str, kid: Option<&str>) -> String {
    let header = match kid {
        Some(k) => format!(r#"{{"alg":"{alg}","kid":"{k}"}}"#),
        None => format!(r#"{{"alg":"{alg}"}}"#),
    };
    let claims = format!(
        r#"{{"sub":"mallory","iss":"https://idp.example.com","aud":"edge-api","exp":{},"roles":["orders:read"]}}"#,
        NOW + 600
    );
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims))
}

fn token(input: &str, sig: &[u8]) -> String {
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn reason(token: &str) -> &'static str {
    let blob = std::fs::read(root().join("policies/edge-api.wdn")).unwrap();
    let keyring = warden_cli::keys::load(&root().join("policies/edge-api.keys.toml")).unwrap();
    let engine = Engine::load(&blob, &keyring.material()).unwrap();
    let auth = format!("Bearer {token}");
    let headers = [Header::new(b"authorization", auth.as_bytes())];
    engine.evaluate(&Request::new(b"GET", b"/api/v1/orders/7", NOW).with_headers(&headers)).reason().as_str()
}

fn hs256(secret: &[u8], input: &str) -> Vec<u8> {
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    m.update(input.as_bytes());
    m.finalize().into_bytes().to_vec()
}

#[test]
fn a_valid_token_of_each_kind_is_allowed_as_the_control() {
    for (kid, alg) in
        [("idp-rs256", Alg::Rs256), ("idp-ps256", Alg::Ps256), ("idp-es256", Alg::Es256), ("idp", Alg::EdDsa)]
    {
        let i = input(alg.name(), Some(kid));
        assert_eq!(reason(&token(&i, &key(kid).sign(alg, i.as_bytes()).unwrap())), "allowed", "{kid}");
    }
}

#[test]
fn hs256_token_whose_kid_names_a_public_key_signed_with_its_pem_der_or_jwk_is_algorithm_rejected() {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let rsa_key = key("idp-rs256");
    let public = rsa_key.rsa_key().unwrap().to_public_key();
    let pem = public.to_public_key_pem(LineEnding::LF).unwrap();
    let der = public.to_public_key_der().unwrap().as_bytes().to_vec();
    let jwk = rsa_key.public_jwk().to_string();
    let set = testkeys::public_set(core::slice::from_ref(&rsa_key)).to_string();
    let n = match rsa_key.public() {
        warden_cli::jwks::OwnedPublicKey::Rsa { n, .. } => n,
        _ => unreachable!(),
    };
    let ec_jwk = key("idp-es256").public_jwk().to_string();
    let ed_jwk = key("idp").public_jwk().to_string();
    let secrets: [(&str, &str, &[u8]); 7] = [
        ("idp-rs256", "PEM", pem.as_bytes()),
        ("idp-rs256", "DER", &der),
        ("idp-rs256", "JWK", jwk.as_bytes()),
        ("idp-rs256", "JWK Set", set.as_bytes()),
        ("idp-rs256", "modulus", &n),
        ("idp-es256", "JWK", ec_jwk.as_bytes()),
        ("idp", "JWK", ed_jwk.as_bytes()),
    ];
    for (kid, what, secret) in secrets {
        let i = input("HS256", Some(kid));
        assert_eq!(reason(&token(&i, &hs256(secret, &i))), "token_algorithm_rejected", "{kid} {what}");
    }
}

#[test]
fn header_alg_differing_from_the_keys_is_algorithm_rejected() {
    // Signed correctly for the header's algorithm with the named key, but the key is for
    // another algorithm (RS256 key with PS256; ES256 key named by an ES384 or EdDSA header).
    let k = key("idp-rs256");
    let i = input("PS256", Some("idp-rs256"));
    assert_eq!(reason(&token(&i, &k.sign(Alg::Ps256, i.as_bytes()).unwrap())), "token_algorithm_rejected");
    let i = input("RS384", Some("idp-rs256"));
    assert_eq!(reason(&token(&i, &k.sign(Alg::Rs384, i.as_bytes()).unwrap())), "token_algorithm_rejected");
    let e = key("idp-es256");
    for alg in ["ES384", "EdDSA", "RS256"] {
        let i = input(alg, Some("idp-es256"));
        assert_eq!(reason(&token(&i, &e.sign(Alg::Es256, i.as_bytes()).unwrap())), "token_algorithm_rejected", "{alg}");
    }
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` of a fixed-size `r ‖ s`.
fn der_of(rs: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = vec![0x02];
        let pad = x.first().is_some_and(|b| b & 0x80 != 0);
        v.push(u8::try_from(x.len() + usize::from(pad)).unwrap());
        if pad {
            v.push(0);
        }
        v.extend(x);
        v
    };
    let (r, s) = rs.split_at(rs.len() / 2);
    let body = [int(r), int(s)].concat();
    [vec![0x30, u8::try_from(body.len()).unwrap()], body].concat()
}

#[test]
fn der_encoded_ecdsa_signature_is_bad_signature() {
    for (kid, alg) in [("idp-es256", Alg::Es256), ("idp-es384", Alg::Es384)] {
        let i = input(alg.name(), Some(kid));
        let raw = key(kid).sign(alg, i.as_bytes()).unwrap();
        assert_eq!(reason(&token(&i, &der_of(&raw))), "token_bad_signature", "{kid}");
    }
}

/// Group orders n, big-endian (SEC 2).
const N256: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const N384: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

fn hex(s: &str) -> Vec<u8> {
    warden_cli::encoding::from_hex(s).unwrap()
}

#[test]
fn ecdsa_r_and_s_zero_is_bad_signature() {
    // CVE-2022-21449, the "psychic signature".
    for (kid, alg, len) in [("idp-es256", "ES256", 64), ("idp-es384", "ES384", 96)] {
        let i = input(alg, Some(kid));
        assert_eq!(reason(&token(&i, &vec![0u8; len])), "token_bad_signature", "{kid}");
    }
}

#[test]
fn ecdsa_r_or_s_at_least_n_is_bad_signature() {
    for (kid, alg, n) in [("idp-es256", Alg::Es256, N256), ("idp-es384", Alg::Es384, N384)] {
        let i = input(alg.name(), Some(kid));
        let good = key(kid).sign(alg, i.as_bytes()).unwrap();
        let half = good.len() / 2;
        let n = hex(n);
        let ones = vec![0xffu8; half];
        for (what, sig) in [
            ("r = n", [&n[..], &good[half..]].concat()),
            ("s = n", [&good[..half], &n[..]].concat()),
            ("r = 2^k − 1", [&ones[..], &good[half..]].concat()),
            ("s zero", [&good[..half], &vec![0u8; half][..]].concat()),
        ] {
            assert_eq!(reason(&token(&i, &sig)), "token_bad_signature", "{kid} {what}");
        }
    }
}

#[test]
fn signatures_one_byte_short_or_long_are_bad_signatures() {
    for (kid, alg) in [
        ("idp-rs256", Alg::Rs256),
        ("idp-rs512", Alg::Rs512),
        ("idp-ps384", Alg::Ps384),
        ("idp-es256", Alg::Es256),
        ("idp-es384", Alg::Es384),
        ("idp", Alg::EdDsa),
    ] {
        let i = input(alg.name(), Some(kid));
        let good = key(kid).sign(alg, i.as_bytes()).unwrap();
        let short = &good[..good.len() - 1];
        let long = [&good[..], &[0u8]].concat();
        assert_eq!(reason(&token(&i, short)), "token_bad_signature", "{kid} short");
        assert_eq!(reason(&token(&i, &long)), "token_bad_signature", "{kid} long");
    }
}

#[test]
fn rsa_signature_with_another_hashs_digest_info_is_bad_signature() {
    use rsa::signature::{SignatureEncoding, Signer};
    let k = key("idp-rs256").rsa_key().unwrap().clone();
    let i = input("RS256", Some("idp-rs256"));
    let sha384 = rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(k.clone()).sign(i.as_bytes()).to_vec();
    let sha512 = rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(k.clone()).sign(i.as_bytes()).to_vec();
    // The SHA-256 digest without any DigestInfo (a "raw" PKCS#1 v1.5 signature).
    let raw = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new_unprefixed(k.clone());
    let digest = <sha2::Sha256 as sha2::Digest>::digest(i.as_bytes());
    let unprefixed = rsa::signature::hazmat::PrehashSigner::sign_prehash(&raw, &digest)
        .map(|s: rsa::pkcs1v15::Signature| s.to_vec())
        .unwrap();
    for (what, sig) in [("SHA-384 DigestInfo", sha384), ("SHA-512 DigestInfo", sha512), ("no DigestInfo", unprefixed)] {
        assert_eq!(reason(&token(&i, &sig)), "token_bad_signature", "{what}");
    }
}

#[test]
fn rsa_signature_value_at_least_n_is_bad_signature() {
    let k = key("idp-rs256");
    let n = match k.public() {
        warden_cli::jwks::OwnedPublicKey::Rsa { n, .. } => n,
        _ => unreachable!(),
    };
    let i = input("RS256", Some("idp-rs256"));
    let good = k.sign(Alg::Rs256, i.as_bytes()).unwrap();
    // s + n (fits in k bytes when the top byte leaves room) is ≡ s mod n: a lenient verifier that
    // reduced first would accept it.
    let mut plus_n = good.clone();
    let mut carry = 0u16;
    for (a, b) in plus_n.iter_mut().rev().zip(n.iter().rev()) {
        let sum = u16::from(*a) + u16::from(*b) + carry;
        *a = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    let all_ones = vec![0xffu8; n.len()];
    for (what, sig) in [("n", n.clone()), ("2^k − 1", all_ones)] {
        assert_eq!(reason(&token(&i, &sig)), "token_bad_signature", "{what}");
    }
    if carry == 0 {
        assert_eq!(reason(&token(&i, &plus_n)), "token_bad_signature", "s + n");
    }
}

#[test]
fn pss_signature_with_salt_length_0_is_bad_signature() {
    use rsa::signature::{RandomizedSigner, SignatureEncoding};
    let k = key("idp-ps256").rsa_key().unwrap().clone();
    let i = input("PS256", Some("idp-ps256"));
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    for salt in [0usize, 20, 31, 33] {
        let sig = rsa::pss::SigningKey::<sha2::Sha256>::new_with_salt_len(k.clone(), salt)
            .sign_with_rng(&mut rng, i.as_bytes())
            .to_vec();
        assert_eq!(reason(&token(&i, &sig)), "token_bad_signature", "salt {salt}");
    }
    let sig =
        rsa::pss::SigningKey::<sha2::Sha256>::new_with_salt_len(k, 32).sign_with_rng(&mut rng, i.as_bytes()).to_vec();
    assert_eq!(reason(&token(&i, &sig)), "allowed", "salt 32, the control");
}

/// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[test]
fn ed25519_signature_with_s_plus_l_is_bad_signature() {
    let i = input("EdDSA", Some("idp"));
    let good = key("idp").sign(Alg::EdDsa, i.as_bytes()).unwrap();
    let mut sig = good.clone();
    let mut carry = 0u16;
    for (a, b) in sig[32..].iter_mut().zip(L) {
        let sum = u16::from(*a) + u16::from(b) + carry;
        *a = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits in 256 bits");
    assert_eq!(reason(&token(&i, &sig)), "token_bad_signature");
    assert_eq!(reason(&token(&i, &good)), "allowed", "the control");
}

#[test]
fn ed25519_signature_with_small_order_or_non_canonical_r_is_bad_signature() {
    let i = input("EdDSA", Some("idp"));
    // Small-order points: the identity, (0, −1), and a point of order 8 (RFC 8032 / "Taming
    // the many EdDSAs" encodings); then the identity written non-canonically (y = p + 1).
    let identity = hex("0100000000000000000000000000000000000000000000000000000000000000");
    let minus_one = hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    let order8 = hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
    let non_canonical = hex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    for (what, r) in [("identity", identity), ("(0,-1)", minus_one), ("order 8", order8), ("y = p + 1", non_canonical)]
    {
        for s in [vec![0u8; 32], {
            let mut one = vec![0u8; 32];
            one[0] = 1;
            one
        }] {
            let sig = [&r[..], &s[..]].concat();
            assert_eq!(reason(&token(&i, &sig)), "token_bad_signature", "{what}");
        }
    }
}

#[test]
fn ed25519_small_order_public_keys_are_refused_when_compiling() {
    // The JWK Set refusals are compile fixtures (cli/tests/fixtures/error-jwks-*.toml); this
    // checks the one for a small-order Ed25519 key against the core's own check as well.
    let a: [u8; 32] = hex("0100000000000000000000000000000000000000000000000000000000000000").try_into().unwrap();
    assert_eq!(warden::internal::public_key_usable(Alg::EdDsa, &warden::policy::PublicKey::Ed25519 { a }), Some(false));
}
