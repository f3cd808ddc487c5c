//! RFC 7617 Basic parsing: any bytes after `Basic ` on the example policy, engine against
//! the reference model.
#![no_main]

use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    let mut value = b"Basic ".to_vec();
    value.extend_from_slice(data);
    common::compare_example(&common::request("GET", "/admin/users", vec![("authorization", value)]));
});
