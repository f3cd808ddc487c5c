//! The C ABI of Warden: load a compiled policy into memory the caller owns, decide requests,
//! read decisions back through accessors that copy into caller buffers.
//!
//! The header `include/warden.h` is generated from this crate by cbindgen and committed;
//! `README.md` beside it holds the API conventions (argument order, ownership, NULL and length
//! rules, result codes, thread safety) and the build commands for hosts and firmware.
//!
//! Layout: `boundary` (panic boundary, pointer and length checks) is used by the three entry
//! modules `engine` (size, load, clear), `request` (C request → core request) and
//! `decision` (evaluate, the caller-owned decision and its accessors); `codes` holds every
//! integer that crosses the boundary and `text` the copy-out rules for strings.
#![cfg_attr(not(feature = "std"), no_std)]
#![allow(unsafe_code, reason = "a C ABI dereferences raw pointers handed over by C; each block states its safety")]
#![deny(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types, reason = "C type names follow C conventions: warden_engine, warden_result")]

#[cfg(all(feature = "std", feature = "embedded"))]
compile_error!("feature `embedded` is for no_std builds: use `--no-default-features --features embedded`");

// The header lists the exports in module order; the blank lines keep rustfmt from sorting it:
// load, then evaluate and the decision, then the names of codes.
mod engine;

mod request;

mod decision;

mod codes;
mod names;

mod boundary;
mod text;

pub use codes::{warden_capacity, warden_ip_family, warden_kind, warden_reason, warden_result};
pub use decision::{
    SNAPSHOT_SIZE, WARDEN_DECISION_WORDS, warden_decision, warden_decision_challenge, warden_decision_challenge_count,
    warden_decision_cors_allow_credentials, warden_decision_cors_allow_headers, warden_decision_cors_allow_methods,
    warden_decision_cors_allow_origin, warden_decision_cors_max_age, warden_decision_kind, warden_decision_reason,
    warden_decision_refresh_advised, warden_decision_role, warden_decision_role_count, warden_decision_rule,
    warden_decision_status, warden_decision_subject, warden_evaluate,
};
pub use engine::{
    WARDEN_KEY_ID_SIZE, WARDEN_MAX_KEYRING, warden_engine, warden_engine_align, warden_engine_clear,
    warden_engine_load, warden_engine_load_verified, warden_engine_load_verified_with_error,
    warden_engine_load_with_error, warden_engine_size, warden_format_version, warden_key, warden_load_error,
    warden_load_error_message, warden_version,
};
pub use names::{warden_reason_name, warden_result_message};
pub use request::{WARDEN_MAX_HEADERS, WARDEN_MAX_METHOD_LEN, WARDEN_MAX_ORIGIN_LEN, warden_header, warden_request};

/// Firmware has no unwinding and no `std` to print with. The core cannot panic on any input
/// (its lints forbid the constructs that do) and neither can this crate; should one happen
/// anyway, the device stops here and its watchdog takes over.
#[cfg(all(feature = "embedded", not(feature = "std"), not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
