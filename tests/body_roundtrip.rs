//! The two sides of the compiled format agree: bodies encoded by `warden::blob::encode` (which
//! `warden compile` uses: serde's `Serialize` derive through `postcard`) decode to the same
//! value with the core's hand-written reader (`src/decode.rs`) and with `postcard::from_bytes`
//! through serde's `Deserialize` derive, for random bodies that reach every variant, every
//! optional field and the extremes of every integer.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

use proptest::collection::vec;
use proptest::prelude::*;
use warden::policy::*;

fn text() -> impl Strategy<Value = &'static str> {
    // Any Unicode, empty included: the decoder checks UTF-8, not the loader's name rules.
    ".{0,12}".prop_map(|s: String| &*Box::leak(s.into_boxed_str()))
}

fn bytes() -> impl Strategy<Value = &'static [u8]> {
    vec(any::<u8>(), 0..80).prop_map(|v| &*Box::leak(v.into_boxed_slice()))
}

fn public_key() -> impl Strategy<Value = PublicKey<'static>> {
    prop_oneof![
        Just(PublicKey::Secret),
        (bytes(), any::<u32>()).prop_map(|(n, e)| PublicKey::Rsa { n, e }),
        bytes().prop_map(|sec1| PublicKey::Ec { sec1 }),
        any::<[u8; 32]>().prop_map(|a| PublicKey::Ed25519 { a }),
    ]
}

fn key() -> impl Strategy<Value = KeySpec<'static>> {
    (text(), 0..Alg::ALL.len(), proptest::option::of(text()), proptest::option::of(text()), text(), public_key())
        .prop_map(|(id, alg, issuer, audience, roles_claim, public_key)| KeySpec {
            id,
            alg: Alg::ALL[alg],
            issuer,
            audience,
            roles_claim,
            public_key,
        })
}

fn credential() -> impl Strategy<Value = Credential<'static>> {
    let kind = prop_oneof![
        any::<[u8; 32]>().prop_map(|sha256| CredentialKind::ApiKey { sha256 }),
        (text(), any::<u32>(), bytes(), any::<[u8; 32]>())
            .prop_map(|(user, iterations, salt, hash)| CredentialKind::Basic { user, iterations, salt, hash }),
    ];
    (text(), any::<u64>(), kind).prop_map(|(id, roles, kind)| Credential { id, roles: RoleSet(roles), kind })
}

fn range() -> impl Strategy<Value = IpRange> {
    (any::<[u8; 16]>(), any::<u8>(), any::<bool>()).prop_map(|(addr, prefix, v4)| IpRange { addr, prefix, v4 })
}

fn origin() -> impl Strategy<Value = OriginPattern<'static>> {
    let port = || proptest::option::of(any::<u16>());
    prop_oneof![
        Just(OriginPattern::Any),
        Just(OriginPattern::Null),
        (text(), text(), port()).prop_map(|(scheme, host, port)| OriginPattern::Exact { scheme, host, port }),
        (text(), text(), port()).prop_map(|(scheme, suffix, port)| OriginPattern::Subdomains { scheme, suffix, port }),
    ]
}

fn rule() -> impl Strategy<Value = Rule<'static>> {
    let scheme = prop_oneof![Just(Scheme::Bearer), Just(Scheme::ApiKey), Just(Scheme::Basic)];
    let sets = (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>());
    (
        (text(), any::<u32>(), any::<bool>(), text(), vec(scheme, 0..=3)),
        sets,
        (any::<bool>(), proptest::option::of(any::<u32>())),
    )
        .prop_map(
            |((name, methods, any_method, path, auth), (ra, rl, ia, id, o), (require_mfa, max_auth_age_s))| Rule {
                name,
                methods: MethodSet(methods),
                any_method,
                path,
                auth: auth.into_iter().collect(),
                roles_any: RoleSet(ra),
                roles_all: RoleSet(rl),
                ip_allow: RangeSet(ia),
                ip_deny: RangeSet(id),
                origins: OriginSet(o),
                require_mfa,
                max_auth_age_s,
            },
        )
}

fn body() -> impl Strategy<Value = PolicyBody<'static>> {
    use warden::capacity as cap;
    let settings = (any::<u32>(), any::<u32>(), text(), text(), any::<u32>(), any::<bool>());
    let tables = (
        vec(text(), 0..=cap::MAX_METHODS.min(4)),
        vec(text(), 0..=cap::MAX_ROLES.min(4)),
        vec(key(), 0..=cap::MAX_KEYS.min(3)),
        vec(credential(), 0..=cap::MAX_CREDENTIALS.min(3)),
        vec(range(), 0..=cap::MAX_RANGES.min(3)),
        vec(origin(), 0..=cap::MAX_ORIGINS.min(4)),
        vec(rule(), 0..=cap::MAX_RULES.min(4)),
    );
    (text(), text(), settings, tables).prop_map(
        |(
            name,
            realm,
            (leeway_s, refresh_window_s, api_key_header, allow_headers, max_age_s, allow_credentials),
            t,
        )| {
            PolicyBody {
                name,
                realm,
                settings: Settings { leeway_s, refresh_window_s, api_key_header, on_no_match: OnNoMatch::Forbid },
                cors: CorsSettings { allow_headers, max_age_s, allow_credentials },
                methods: t.0.into_iter().collect(),
                roles: t.1.into_iter().collect(),
                keys: t.2.into_iter().collect(),
                credentials: t.3.into_iter().collect(),
                ranges: t.4.into_iter().collect(),
                origins: t.5.into_iter().collect(),
                rules: t.6.into_iter().collect(),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 512 }, ..ProptestConfig::default() })]

    #[test]
    fn the_hand_decoder_and_postcard_read_back_what_the_encoder_wrote(b in body()) {
        let mut out = vec![0u8; 1 << 16];
        let n = warden::blob::encode(&b, None, &mut out).unwrap();
        let blob = &out[..n];
        let (_, by_hand) = warden::blob::decode_body(blob).unwrap();
        prop_assert_eq!(&by_hand, &b);
        let (via_serde, rest) =
            postcard::take_from_bytes::<PolicyBody<'_>>(&blob[warden::blob::HEADER_LEN..]).unwrap();
        prop_assert!(rest.is_empty());
        prop_assert_eq!(&via_serde, &b);
        // The key-id reader of error reports skips to the same keys.
        for (i, k) in b.keys.iter().enumerate() {
            prop_assert_eq!(warden::internal::key_id(blob, i), Some(k.id));
        }
        prop_assert_eq!(warden::internal::key_id(blob, b.keys.len()), None);
    }
}
