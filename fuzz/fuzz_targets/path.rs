//! Path hygiene and normalization: the engine's view of a raw path against the model's, and
//! the full decision on the example policy.
#![no_main]

use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    let (malformed, len) = warden::internal::normalize_path(data);
    let (model_malformed, normalized) = common::model::normalize_path(data);
    assert_eq!(malformed, model_malformed, "malformed differs for {:?}", String::from_utf8_lossy(data));
    if !malformed {
        assert_eq!(len, normalized.len(), "normal form differs for {:?}", String::from_utf8_lossy(data));
    }
    let mut req = common::request("GET", "/", vec![]);
    req.path = data.to_vec();
    common::compare_example(&req);
});
