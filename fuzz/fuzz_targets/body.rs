//! The two sides of the compiled format agree on any bytes: the engine's hand-written reader
//! (`src/decode.rs`) accepts a body exactly when `postcard::from_bytes` through serde's
//! `Deserialize` derive (the reference for what `warden compile` writes) does, and both read
//! the same value. Re-encoding what was read with postcard decodes to it again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::policy::PolicyBody;

fuzz_target!(|data: &[u8]| {
    let by_hand = warden::internal::decode_body(data);
    let via_serde =
        postcard::take_from_bytes::<PolicyBody<'_>>(data).ok().and_then(|(body, rest)| rest.is_empty().then_some(body));
    assert_eq!(by_hand, via_serde);
    if let Some(body) = by_hand {
        let mut out = vec![0u8; data.len() + 64];
        let written = postcard::to_slice(&body, &mut out).expect("a decoded body re-encodes");
        assert_eq!(warden::internal::decode_body(written).as_ref(), Some(&body));
    }
});
