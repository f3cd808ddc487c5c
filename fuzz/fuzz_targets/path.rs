//! Path hygiene and decoding: the engine's view of a raw path (`RequestPath`) against the
//! model's, byte for byte, and the full decision on the example policy.
#![no_main]

use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    let engine = warden::path::RequestPath::new(data);
    let (model_malformed, decoded) = common::model::normalize_path(data);
    assert_eq!(engine.is_malformed(), model_malformed, "malformed differs for {:?}", String::from_utf8_lossy(data));
    if !model_malformed {
        assert_eq!(engine.as_str().map(str::as_bytes), Some(&decoded[..]), "path differs for {data:?}");
    }
    let mut req = common::request("GET", "/", vec![]);
    req.path = data.to_vec();
    common::compare_example(&req);
});
