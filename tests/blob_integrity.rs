//! Compiled-policy integrity: every truncation and every single-bit flip is a typed load error,
//! never a panic or a decision; signatures, keyrings and capacities are enforced.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::*;
use warden::{Capacity, Engine, Invalid, KeyMaterial, LoadError, SignatureState};

#[test]
#[cfg_attr(miri, ignore = "a load per length takes many minutes under miri")]
fn every_truncation_is_a_load_error() {
    let blob = blob();
    for len in 0..blob.len() {
        assert!(Engine::load(&blob[..len], &keyring()).is_err(), "truncated to {len} loaded");
    }
    assert!(Engine::load(&blob, &keyring()).is_ok());
}

#[test]
#[cfg_attr(miri, ignore = "thousands of loads take many minutes under miri")]
fn every_single_bit_flip_is_a_load_error() {
    let blob = blob();
    let mut copy = blob.clone();
    for byte in 0..blob.len() {
        for bit in 0..8 {
            copy[byte] ^= 1 << bit;
            assert!(Engine::load(&copy, &keyring()).is_err(), "flip of bit {bit} in byte {byte} loaded");
            copy[byte] ^= 1 << bit;
        }
    }
}

#[test]
fn trailing_bytes_and_foreign_versions_are_refused() {
    let mut blob = blob();
    blob.push(0);
    assert_eq!(Engine::load(&blob, &keyring()).unwrap_err(), LoadError::LengthMismatch);
    blob.pop();
    // Version 1 stored patterns with their escapes and had no public keys: its blobs must be
    // compiled again.
    let current = warden::blob::FORMAT_VERSION;
    for foreign in [1, current + 1] {
        blob[4..6].copy_from_slice(&foreign.to_le_bytes());
        assert_eq!(Engine::load(&blob, &keyring()).unwrap_err(), LoadError::UnsupportedVersion { found: foreign });
    }
    blob[4..6].copy_from_slice(&current.to_le_bytes());
    blob[0] = b'X';
    assert_eq!(Engine::load(&blob, &keyring()).unwrap_err(), LoadError::BadMagic);
}

#[test]
#[cfg_attr(miri, ignore = "a signature check per flipped byte takes many minutes under miri")]
fn signed_blobs_verify_and_forgeries_do_not() {
    let key = b"dev-bundle-key-0123456789abcdef0123";
    let signed = blob_of(&body(), Some(key));
    let e = Engine::load_verified(&signed, &keyring(), key).unwrap();
    assert_eq!(e.signature(), SignatureState::Verified);
    assert_eq!(Engine::load(&signed, &keyring()).unwrap().signature(), SignatureState::SignedUnverified);
    let wrong = b"another-bundle-key-0123456789abcdef";
    assert_eq!(Engine::load_verified(&signed, &keyring(), wrong).unwrap_err(), LoadError::SignatureInvalid);
    assert_eq!(Engine::load_verified(&blob(), &keyring(), key).unwrap_err(), LoadError::SignatureMissing);
    assert_eq!(Engine::load_verified(&signed, &keyring(), b"short").unwrap_err(), LoadError::BundleKeyTooShort);
    let mut flipped = signed.clone();
    for i in 0..flipped.len() {
        flipped[i] ^= 0x40;
        assert!(Engine::load_verified(&flipped, &keyring(), key).is_err(), "byte {i}");
        flipped[i] ^= 0x40;
    }
    let mut out = [0u8; 4096];
    assert_eq!(warden::blob::encode(&body(), Some(b"short"), &mut out), Err(warden::EncodeError::SignKeyTooShort));
}

#[test]
fn keyrings_must_cover_every_key_with_a_long_enough_secret() {
    let blob = blob();
    let [a, b, _] = keyring();
    assert_eq!(Engine::load(&blob, &[a, b]).unwrap_err(), LoadError::KeyMissing { key: 2 });
    let short = KeyMaterial { id: "k384", secret: &[7u8; 47] };
    assert_eq!(Engine::load(&blob, &[a, short, keyring()[2]]).unwrap_err(), LoadError::KeyTooShort { key: 1, min: 48 });
    assert_eq!(Engine::load(&blob, &[a, a, b, keyring()[2]]).unwrap_err(), LoadError::KeyringDuplicate);
    // Extra keys are fine (one keys file may serve several policies).
    let extra = KeyMaterial { id: "unused", secret: &[1u8; 8] };
    assert!(Engine::load(&blob, &[extra, a, b, keyring()[2]]).is_ok());
}

#[test]
fn over_capacity_blobs_name_the_limit() {
    let mut blob = blob();
    // Table sizes live in the header, outside the body digest: claim too many rules.
    let rules = u16::try_from(warden::capacity::MAX_RULES + 1).unwrap();
    blob[24..26].copy_from_slice(&rules.to_le_bytes());
    assert_eq!(
        Engine::load(&blob, &keyring()).unwrap_err(),
        LoadError::CapacityExceeded {
            what: Capacity::Rules,
            count: warden::capacity::MAX_RULES + 1,
            limit: warden::capacity::MAX_RULES
        }
    );
}

#[test]
fn over_capacity_errors_say_which_capacity_what_is_needed_and_the_limit() {
    let mut blob = blob();
    let need = warden::capacity::MAX_ROLES + 3;
    blob[14..16].copy_from_slice(&u16::try_from(need).unwrap().to_le_bytes());
    let e = Engine::load(&blob, &keyring()).unwrap_err();
    let text = e.to_string();
    for part in [format!("has {need} distinct roles"), format!("MAX_ROLES of {}", warden::capacity::MAX_ROLES)] {
        assert!(text.contains(&part), "{part} not in {text}");
    }
    assert!(text.contains(&format!("WARDEN_MAX_ROLES={need} or more")), "{text}");
}

#[test]
fn a_blob_is_checked_against_another_builds_capacities() {
    use warden::capacity::Capacities;
    let blob = blob();
    let info = warden::blob::read_header(&blob).unwrap();
    assert_eq!(info.tables.check(&Capacities::THIS_BUILD), Ok(()));
    // A firmware build with room for fewer rules than the test policy has.
    let rules = info.tables.rules.into();
    let small = Capacities { rules: rules - 1, ..Capacities::THIS_BUILD };
    assert_eq!(
        info.tables.check(&small),
        Err(LoadError::CapacityExceeded { what: Capacity::Rules, count: rules, limit: rules - 1 })
    );
    assert_eq!(info.tables.check(&Capacities { rules, ..small }), Ok(()));
    // The defaults are build.rs's, whatever this build set.
    let defaults = Capacities::defaults();
    assert_eq!((defaults.rules, defaults.keys, defaults.methods), (128, 16, 16));
}

#[test]
fn semantically_invalid_bodies_are_refused() {
    let mut b = body();
    b.rules[1].path = "admin/**";
    assert_eq!(
        Engine::load(&blob_of(&b, None), &keyring()).unwrap_err(),
        LoadError::Invalid(Invalid::PathPattern { rule: 1 })
    );
    let mut b = body();
    b.rules[2].roles_all = warden::policy::RoleSet(1 << 40);
    assert_eq!(
        Engine::load(&blob_of(&b, None), &keyring()).unwrap_err(),
        LoadError::Invalid(Invalid::Reference { rule: 2 })
    );
    let mut b = body();
    b.rules[3].require_mfa = true;
    b.rules[3].auth = [warden::policy::Scheme::ApiKey].into_iter().collect();
    assert_eq!(
        Engine::load(&blob_of(&b, None), &keyring()).unwrap_err(),
        LoadError::Invalid(Invalid::TokenOnlyCheck { rule: 3 })
    );
    let mut b = body();
    b.ranges[1].prefix = 97;
    assert_eq!(
        Engine::load(&blob_of(&b, None), &keyring()).unwrap_err(),
        LoadError::Invalid(Invalid::Range { range: 1 })
    );
    let mut b = body();
    b.origins[0] = warden::policy::OriginPattern::Exact { scheme: "https", host: "Console.example.com", port: None };
    assert_eq!(
        Engine::load(&blob_of(&b, None), &keyring()).unwrap_err(),
        LoadError::Invalid(Invalid::Origin { origin: 0 })
    );
    let mut b = body();
    b.realm = "bad\"realm";
    assert_eq!(Engine::load(&blob_of(&b, None), &keyring()).unwrap_err(), LoadError::Invalid(Invalid::Name));
    let mut b = body();
    b.rules[0].name = "deploy";
    assert_eq!(Engine::load(&blob_of(&b, None), &keyring()).unwrap_err(), LoadError::Invalid(Invalid::Duplicate));
}

#[test]
fn the_hand_decoder_reads_exactly_what_serde_postcard_reads() {
    // The engine decodes postcard by hand (for flash size); serde's derive is the reference.
    let mut bodies = vec![body()];
    let mut b = body();
    b.keys[0].issuer = None;
    b.rules[2].max_auth_age_s = Some(u32::MAX);
    b.credentials[0].roles = warden::policy::RoleSet(u64::MAX >> 60);
    bodies.push(b);
    for b in &bodies {
        let blob = blob_of(b, None);
        let (_, decoded) = warden::blob::decode_body(&blob).unwrap();
        let start = warden::blob::HEADER_LEN;
        let via_serde: warden::policy::PolicyBody<'_> = postcard::from_bytes(&blob[start..]).unwrap();
        assert_eq!(decoded, via_serde);
        assert_eq!(&decoded, b);
    }
    let example = include_bytes!("../policies/edge-api.wdn");
    let (info, decoded) = warden::blob::decode_body(example).unwrap();
    let via_serde: warden::policy::PolicyBody<'_> = postcard::from_bytes(&example[info.header_len..]).unwrap();
    assert_eq!(decoded, via_serde);
}

#[test]
fn every_truncation_and_bit_flip_of_the_compiled_example_is_a_load_error() {
    use base64ct::{Base64, Base64UrlUnpadded, Encoding};
    // The dev keys of policies/edge-api.keys.toml.
    let hs256: Vec<u8> = (0..32)
        .map(|i| {
            u8::from_str_radix(
                &"172a176d6f7bcf196f0de037ab7f34e700f749a98c0ffc66419cf9f8e020c927"[2 * i..2 * i + 2],
                16,
            )
            .unwrap()
        })
        .collect();
    let hs384 = Base64::decode_vec("18F4F9/YCGjmGLTA6FpvF9WPecewpgoIm1YkuZPLN1z8n81zuWizaBn7GDwj5t8V").unwrap();
    let hs512 = Base64UrlUnpadded::decode_vec(
        "miRVOPzae6ycNvLz5PDrH-Y8W-lfq5GIa_X8pHhxg59_QtBWfjf8_A3IdjAgVBBIgfMr0ZzTIc5q2cuHR1T1nw",
    )
    .unwrap();
    let keys = [
        KeyMaterial { id: "2026-q4", secret: &hs256 },
        KeyMaterial { id: "partner-hs384", secret: &hs384 },
        KeyMaterial { id: "ops-hs512", secret: &hs512 },
    ];
    let example = include_bytes!("../policies/edge-api.wdn").to_vec();
    assert!(Engine::load(&example, &keys).is_ok());
    for len in 0..example.len() {
        assert!(Engine::load(&example[..len], &keys).is_err(), "truncated to {len}");
    }
    let mut copy = example.clone();
    for byte in 0..example.len() {
        for bit in 0..8 {
            copy[byte] ^= 1 << bit;
            assert!(Engine::load(&copy, &keys).is_err(), "bit {bit} of byte {byte}");
            copy[byte] ^= 1 << bit;
        }
    }
    // The signed example: every flip is refused when loaded with its bundle key.
    let signed = include_bytes!("../policies/edge-api.signed.wdn").to_vec();
    let bundle =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/edge-api.bundle-key.dev")).unwrap();
    let bundle_key = bundle_key_bytes(&bundle);
    assert_eq!(Engine::load_verified(&signed, &keys, &bundle_key).unwrap().signature(), SignatureState::Verified);
    let mut copy = signed.clone();
    for byte in 0..signed.len() {
        copy[byte] ^= 0x01;
        assert!(Engine::load_verified(&copy, &keys, &bundle_key).is_err(), "byte {byte}");
        copy[byte] ^= 0x01;
    }
}

/// The bundle key file holds hex or base64 text (after comment lines).
fn bundle_key_bytes(text: &str) -> Vec<u8> {
    use base64ct::{Base64, Encoding};
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap();
    if line.len() % 2 == 0 && line.bytes().all(|c| c.is_ascii_hexdigit()) {
        (0..line.len()).step_by(2).map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap()).collect()
    } else {
        Base64::decode_vec(line).unwrap()
    }
}
