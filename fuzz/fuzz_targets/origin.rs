//! Origin parsing (RFC 6454 serializations, hosts as WHATWG URL serializes them): the engine's
//! syntax check against the model's, and full requests (preflight and simple) with that origin
//! on the example policy; the same bytes as a preflight's requested method (one RFC 9110 token
//! or no rule) on the `methods = ["*"]` rule.
#![no_main]

use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    let engine_valid = warden::origin::is_valid_origin(data);
    let model_valid = common::model::origin_is_valid(data);
    assert_eq!(engine_valid, model_valid, "origin validity differs for {:?}", String::from_utf8_lossy(data));
    common::compare_example(&common::request(
        "OPTIONS",
        "/api/v1/orders/1",
        vec![("origin", data.to_vec()), ("access-control-request-method", b"GET".to_vec())],
    ));
    common::compare_example(&common::request("GET", "/health", vec![("origin", data.to_vec())]));
    common::compare_example(&common::request(
        "OPTIONS",
        "/api/v1/anything",
        vec![("origin", b"https://console.example.com".to_vec()), ("access-control-request-method", data.to_vec())],
    ));
});
