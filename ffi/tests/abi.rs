//! The C ABI called from Rust exactly as C calls it: every export, every result code, every
//! argument check, decisions identical to the core's. Runs under miri
//! (`cargo +nightly miri test -p warden-ffi`); sweeps too slow for miri are marked.
#![allow(unsafe_code, reason = "calling the C ABI is unsafe by definition; each block states why it is sound")]

mod common;

use core::ffi::{CStr, c_char};
use core::ptr;

use common::*;
use warden_ffi::*;

// ---- sizes, version, codes -----------------------------------------------------------------

#[test]
fn sizes_alignment_and_versions_are_reported() {
    assert!(warden_engine_size() > 0);
    assert!(warden_engine_align().is_power_of_two());
    assert_eq!(warden_engine_size() % warden_engine_align(), 0);
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(warden_version()) };
    assert_eq!(v.to_str(), Ok(env!("CARGO_PKG_VERSION")));
    assert_eq!(warden_format_version(), warden::blob::FORMAT_VERSION);
    // The decision struct has headroom for its contents, but not a wasteful amount.
    let bytes = WARDEN_DECISION_WORDS * 8;
    assert!(SNAPSHOT_SIZE <= bytes && bytes - SNAPSHOT_SIZE <= 256, "{SNAPSHOT_SIZE} of {bytes}");
}

/// The numbers are the ABI: they are written here literally so that a change shows up.
const RESULT_CODES: &[(u32, warden_result)] = &[
    (1000, warden_result::Ok),
    (1101, warden_result::NullParameter),
    (1102, warden_result::InvalidLength),
    (1103, warden_result::Misaligned),
    (1104, warden_result::BufferTooSmall),
    (1105, warden_result::InvalidValue),
    (1106, warden_result::InvalidUtf8),
    (1107, warden_result::TooManyHeaders),
    (1108, warden_result::TooManyKeys),
    (1109, warden_result::IndexOutOfRange),
    (1151, warden_result::NotLoaded),
    (1152, warden_result::NoDecision),
    (1153, warden_result::StaleDecision),
    (1154, warden_result::Absent),
    (1201, warden_result::Truncated),
    (1202, warden_result::BadMagic),
    (1203, warden_result::UnsupportedVersion),
    (1204, warden_result::UnknownFlags),
    (1205, warden_result::LengthMismatch),
    (1206, warden_result::DigestMismatch),
    (1207, warden_result::SignatureMissing),
    (1208, warden_result::SignatureInvalid),
    (1209, warden_result::BundleKeyTooShort),
    (1210, warden_result::CapacityExceeded),
    (1211, warden_result::BodyMalformed),
    (1212, warden_result::PolicyInvalid),
    (1213, warden_result::KeyMissing),
    (1214, warden_result::KeyTooShort),
    (1215, warden_result::KeyringDuplicate),
    (1216, warden_result::UnsupportedAlgorithm),
    (1299, warden_result::LoadFailed),
    (1900, warden_result::Panic),
    (1901, warden_result::Internal),
];

fn message(code: u32) -> Result<String, warden_result> {
    // SAFETY: valid buffers.
    text_string(|b, l, o| unsafe { warden_result_message(code, b, l, o) })
}

#[test]
fn result_codes_have_their_documented_values_and_a_message_each() {
    for &(value, code) in RESULT_CODES {
        assert_eq!(code as u32, value);
        let m = message(value).expect("a message");
        assert!(!m.is_empty());
    }
    let known: Vec<u32> = RESULT_CODES.iter().map(|c| c.0).collect();
    let mut unique = known.clone();
    unique.dedup();
    assert_eq!(known, unique);
}

#[test]
#[cfg_attr(miri, ignore = "a sweep over 100 000 values")]
fn unknown_result_values_are_refused_never_described() {
    let known: Vec<u32> = RESULT_CODES.iter().map(|c| c.0).collect();
    for value in (0..100_000).chain([u32::MAX, u32::MAX - 1]) {
        match message(value) {
            Ok(_) => assert!(known.contains(&value), "{value} has a message but is not a code"),
            Err(e) => {
                assert_eq!(e, warden_result::InvalidValue);
                assert!(!known.contains(&value));
            }
        }
    }
}

#[test]
fn every_core_reason_has_a_code_whose_hundreds_are_the_status() {
    let mut codes = Vec::new();
    for r in warden::Reason::all() {
        let code = warden_reason::from(r) as u32;
        assert_eq!(code / 100, u32::from(r.status()), "{r:?}");
        assert_eq!(reason_name(code), r.as_str());
        codes.push(code);
    }
    let n = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n, "codes are unique");
    assert_eq!(n, 24);
}

#[test]
fn unknown_reason_values_are_refused() {
    for value in [0, 1, 200, 20000, 20004, 40100, 40115, 40300, 40308, u32::MAX] {
        let mut n = usize::MAX;
        let mut buf = [0 as c_char; 64];
        // SAFETY: valid buffers.
        let r = unsafe { warden_reason_name(value, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!((r, n), (warden_result::InvalidValue, 0), "{value}");
    }
}

#[test]
fn decision_kinds_and_ip_families_have_their_documented_values() {
    assert_eq!(warden_kind::Allow as u32, 1);
    assert_eq!(warden_kind::Unauthorized as u32, 2);
    assert_eq!(warden_kind::Forbidden as u32, 3);
    assert_eq!(warden_ip_family::None as u32, 1);
    assert_eq!(warden_ip_family::V4 as u32, 4);
    assert_eq!(warden_ip_family::V6 as u32, 6);
}

// ---- load ----------------------------------------------------------------------------------

/// Calls load with raw arguments; returns the result and whether `*engine_out` was reset.
#[expect(clippy::too_many_arguments, reason = "mirrors the C signature")]
fn load_raw(
    blob: *const u8,
    blob_len: usize,
    keys: *const warden_key,
    keys_len: usize,
    verify: Option<(*const u8, usize)>,
    memory: *mut u8,
    memory_len: usize,
    engine_out: *mut *mut warden_engine,
) -> warden_result {
    // SAFETY: every test passes pointers valid for their lengths, or deliberately bad ones
    // that the library must refuse before use.
    unsafe {
        match verify {
            None => warden_engine_load(blob, blob_len, keys, keys_len, memory.cast(), memory_len, engine_out),
            Some((v, vl)) => warden_engine_load_verified(
                blob,
                blob_len,
                keys,
                keys_len,
                v,
                vl,
                memory.cast(),
                memory_len,
                engine_out,
            ),
        }
    }
}

fn load_with(blob: &[u8], keys: &[warden_key], memory: &Memory) -> (warden_result, *mut warden_engine) {
    let mut out = ptr::dangling_mut::<warden_engine>();
    let r = load_raw(blob.as_ptr(), blob.len(), keys.as_ptr(), keys.len(), None, memory.ptr(), memory.len(), &mut out);
    (r, out)
}

#[test]
fn load_refuses_null_zero_misaligned_and_small_arguments() {
    let ring = keyring();
    let keys = c_keys(&ring);
    let mem = Memory::new(warden_engine_size() + 64, warden_engine_align());
    let (blob, n) = (BLOB.as_ptr(), BLOB.len());
    let (k, kn) = (keys.as_ptr(), keys.len());
    let (m, mn) = (mem.ptr(), warden_engine_size());
    let mut out = ptr::null_mut();
    use warden_result as R;
    let cases: Vec<(&str, warden_result, warden_result)> = vec![
        ("NULL blob", load_raw(ptr::null(), n, k, kn, None, m, mn, &mut out), R::NullParameter),
        ("empty blob", load_raw(blob, 0, k, kn, None, m, mn, &mut out), R::InvalidLength),
        ("NULL keys with a count", load_raw(blob, n, ptr::null(), kn, None, m, mn, &mut out), R::NullParameter),
        ("NULL memory", load_raw(blob, n, k, kn, None, ptr::null_mut(), mn, &mut out), R::NullParameter),
        ("misaligned memory", load_raw(blob, n, k, kn, None, m.wrapping_add(1), mn, &mut out), R::Misaligned),
        ("small memory", load_raw(blob, n, k, kn, None, m, mn - 1, &mut out), R::BufferTooSmall),
        ("NULL engine_out", load_raw(blob, n, k, kn, None, m, mn, ptr::null_mut()), R::NullParameter),
        (
            "misaligned engine_out",
            load_raw(blob, n, k, kn, None, m, mn, (&raw mut out).cast::<u8>().wrapping_add(1).cast()),
            R::Misaligned,
        ),
        ("huge blob length", load_raw(blob, usize::MAX, k, kn, None, m, mn, &mut out), R::InvalidLength),
    ];
    for (what, got, want) in cases {
        assert_eq!(got, want, "{what}");
    }
    // The same memory, now with good arguments, loads.
    assert_eq!(load_raw(blob, n, k, kn, None, m, mn, &mut out), R::Ok);
    assert_eq!(out, m.cast());
}

#[test]
#[cfg_attr(miri, ignore = "ten loads: slow under miri; the native run covers it")]
fn load_refuses_bad_keys() {
    let mem = Memory::for_engine();
    let ring = keyring();
    let good = c_keys(&ring);
    let with = |edit: &dyn Fn(&mut Vec<warden_key>)| {
        let mut keys = good.clone();
        edit(&mut keys);
        load_with(BLOB, &keys, &mem).0
    };
    use warden_result as R;
    assert_eq!(with(&|k| k[0].id = ptr::null()), R::NullParameter);
    assert_eq!(with(&|k| k[0].id_len = 0), R::InvalidLength);
    assert_eq!(with(&|k| k[0].secret = ptr::null()), R::NullParameter);
    assert_eq!(with(&|k| k[0].secret_len = 0), R::InvalidLength);
    let latin1 = [0xe9u8, b'!'];
    assert_eq!(
        with(&|k| {
            k[0].id = latin1.as_ptr().cast();
            k[0].id_len = latin1.len();
        }),
        R::InvalidUtf8
    );
    assert_eq!(with(&|k| k[0].secret_len = 31), R::KeyTooShort);
    assert_eq!(with(&|k| k.truncate(2)), R::KeyMissing);
    assert_eq!(with(&|k| k.push(k[0])), R::KeyringDuplicate);
    assert_eq!(with(&|k| k.clear()), R::KeyMissing);
    let spare: Vec<(String, Vec<u8>)> =
        (0..WARDEN_MAX_KEYRING).map(|i| (format!("spare-{i}"), vec![7u8; 64])).collect();
    let spare_keys = c_keys(&spare);
    assert_eq!(with(&|k| k.extend_from_slice(&spare_keys[..WARDEN_MAX_KEYRING - 3])), R::Ok);
    assert_eq!(with(&|k| k.extend_from_slice(&spare_keys[..WARDEN_MAX_KEYRING - 2])), R::TooManyKeys);
}

fn load_detailed(blob: &[u8], keys: &[warden_key], memory: &Memory) -> (warden_result, warden_load_error) {
    let mut out = ptr::null_mut();
    let mut e = core::mem::MaybeUninit::<warden_load_error>::uninit();
    // SAFETY: valid pointers for their lengths; `e` is written by the call before it is read.
    let r = unsafe {
        warden_engine_load_with_error(
            blob.as_ptr(),
            blob.len(),
            keys.as_ptr(),
            keys.len(),
            memory.ptr().cast(),
            memory.len(),
            &mut out,
            e.as_mut_ptr(),
        )
    };
    // SAFETY: a non-NULL error_out is always written whole.
    (r, unsafe { e.assume_init() })
}

fn load_error_text(e: &warden_load_error) -> String {
    // SAFETY: valid buffers.
    text_string(|b, l, o| unsafe { warden_load_error_message(e, b, l, o) }).unwrap_or_else(|r| format!("({r:?})"))
}

fn key_id(e: &warden_load_error) -> String {
    let bytes: Vec<u8> = e.key_id[..e.key_id_len as usize].iter().map(|c| c.to_ne_bytes()[0]).collect();
    assert_eq!(e.key_id[e.key_id_len as usize], 0, "NUL-terminated");
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn capacity_values_are_the_abi() {
    let values = [
        (warden_capacity::Methods, 1),
        (warden_capacity::Roles, 2),
        (warden_capacity::Keys, 3),
        (warden_capacity::Credentials, 4),
        (warden_capacity::Ranges, 5),
        (warden_capacity::Origins, 6),
        (warden_capacity::Rules, 7),
    ];
    for (c, v) in values {
        assert_eq!(c as u32, v);
    }
}

#[test]
#[cfg_attr(miri, ignore = "four loads: slow under miri; the native run covers it")]
fn load_error_names_the_capacity_the_need_and_the_limit_and_the_missing_key() {
    let mem = Memory::for_engine();
    let ring = keyring();
    let keys = c_keys(&ring);
    let (r, e) = load_detailed(BLOB, &keys, &mem);
    assert_eq!((r, e.code, e.capacity, e.count, e.limit, e.key_id_len), (warden_result::Ok, 1000, 0, 0, 0, 0));

    // 19 rules in the header, for a build of this test's capacity: the same refusal a
    // WARDEN_MAX_RULES=16 firmware gives the 19-rule policy of issue 14.
    let mut blob = BLOB.to_vec();
    let need = u16::try_from(warden::capacity::MAX_RULES + 3).unwrap();
    blob[24..26].copy_from_slice(&need.to_le_bytes());
    let (r, e) = load_detailed(&blob, &keys, &mem);
    assert_eq!(r, warden_result::CapacityExceeded);
    assert_eq!((e.code, e.capacity), (1210, warden_capacity::Rules as u32));
    assert_eq!((e.count as usize, e.limit as usize), (warden::capacity::MAX_RULES + 3, warden::capacity::MAX_RULES));
    let core = warden::Engine::load(&blob, &[]).unwrap_err().to_string();
    assert_eq!(load_error_text(&e), core, "the same words as the core's LoadError");

    // The keyring lacks the third key: its index and id.
    let (r, e) = load_detailed(BLOB, &keys[..2], &mem);
    assert_eq!((r, e.key_index, key_id(&e).as_str()), (warden_result::KeyMissing, 2, "ops-hs512"));
    assert_eq!(
        load_error_text(&e),
        "keyring has no secret for the policy's key \"ops-hs512\" (key #2): add it to the keyring"
    );

    // A secret too short for its algorithm: the id, the length given and the minimum.
    let mut short = keys.clone();
    short[1].secret_len = 40;
    let (r, e) = load_detailed(BLOB, &short, &mem);
    assert_eq!(r, warden_result::KeyTooShort);
    assert_eq!((key_id(&e).as_str(), e.key_index, e.count, e.limit), ("partner-hs384", 1, 40, 48));
    assert!(load_error_text(&e).contains("has 40 bytes, fewer than the 48"), "{}", load_error_text(&e));
}

#[test]
fn load_with_error_refuses_a_null_error_and_reports_argument_errors() {
    let mem = Memory::for_engine();
    let mut out = ptr::dangling_mut::<warden_engine>();
    // SAFETY: NULL error_out is refused before anything is read.
    let r = unsafe {
        warden_engine_load_with_error(
            BLOB.as_ptr(),
            BLOB.len(),
            ptr::null(),
            0,
            mem.ptr().cast(),
            mem.len(),
            &mut out,
            ptr::null_mut(),
        )
    };
    assert_eq!(r, warden_result::NullParameter);
    let (r, e) = load_detailed(&BLOB[..0], &[], &mem);
    assert_eq!((r, e.code), (warden_result::InvalidLength, 1102));
    assert_eq!(load_error_text(&e), "a length is zero where a value is required, or too large");
    let mut n = 9;
    // SAFETY: NULL error is refused.
    assert_eq!(
        unsafe { warden_load_error_message(ptr::null(), ptr::null_mut(), 0, &mut n) },
        warden_result::NullParameter
    );
    assert_eq!(n, 0);
}

#[test]
fn corrupt_blobs_get_their_load_error() {
    let mem = Memory::for_engine();
    let ring = keyring();
    let keys = c_keys(&ring);
    let mut blob = BLOB.to_vec();
    let mut check = |what: &str, edit: &dyn Fn(&mut Vec<u8>), want: warden_result| {
        let mut b = BLOB.to_vec();
        edit(&mut b);
        blob = b;
        let (got, out) = load_with(&blob, &keys, &mem);
        assert_eq!(got, want, "{what}");
        assert!(out.is_null(), "{what}: engine_out is reset");
    };
    use warden_result as R;
    check("truncated header", &|b| b.truncate(10), R::Truncated);
    check("truncated body", &|b| b.truncate(b.len() - 1), R::Truncated);
    check("bad magic", &|b| b[0] = b'X', R::BadMagic);
    check("wrong version", &|b| b[4] = b[4].wrapping_add(1), R::UnsupportedVersion);
    check("trailing byte", &|b| b.push(0), R::LengthMismatch);
    check("bit flip in the body", &|b| *b.last_mut().unwrap() ^= 0x10, R::DigestMismatch);
    check("bit flip in the digest", &|b| b[30] ^= 0x01, R::DigestMismatch);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of loads")]
fn every_truncation_and_every_bit_flip_is_refused_without_panic() {
    let mem = Memory::for_engine();
    let ring = keyring();
    let keys = c_keys(&ring);
    for len in 0..BLOB.len() {
        let (r, out) = load_with(&BLOB[..len], &keys, &mem);
        assert_ne!(r, warden_result::Ok, "prefix {len}");
        assert_ne!(r, warden_result::Panic);
        assert!(out.is_null());
    }
    for bit in 0..BLOB.len() * 8 {
        let mut b = BLOB.to_vec();
        b[bit / 8] ^= 1 << (bit % 8);
        let (r, _) = load_with(&b, &keys, &mem);
        assert!((1200..1300).contains(&(r as u32)), "bit {bit}: {r:?}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "seven loads: slow under miri; the native run covers it")]
fn signed_policy_loads_verified_only_with_its_bundle_key() {
    let mem = Memory::for_engine();
    let ring = keyring();
    let keys = c_keys(&ring);
    let key = bundle_key();
    let verified = |blob: &[u8], v: *const u8, vl: usize| {
        let mut out = ptr::dangling_mut::<warden_engine>();
        let r = load_raw(
            blob.as_ptr(),
            blob.len(),
            keys.as_ptr(),
            keys.len(),
            Some((v, vl)),
            mem.ptr(),
            mem.len(),
            &mut out,
        );
        (r, out.is_null())
    };
    use warden_result as R;
    assert_eq!(verified(SIGNED_BLOB, key.as_ptr(), key.len()), (R::Ok, false));
    let mut wrong = key.clone();
    wrong[0] ^= 1;
    assert_eq!(verified(SIGNED_BLOB, wrong.as_ptr(), wrong.len()), (R::SignatureInvalid, true));
    assert_eq!(verified(BLOB, key.as_ptr(), key.len()), (R::SignatureMissing, true));
    assert_eq!(verified(SIGNED_BLOB, key.as_ptr(), 16), (R::BundleKeyTooShort, true));
    assert_eq!(verified(SIGNED_BLOB, ptr::null(), 32), (R::NullParameter, true));
    assert_eq!(verified(SIGNED_BLOB, key.as_ptr(), 0), (R::InvalidLength, true));
    // Unverified load of a signed policy works (the signature is not checked).
    assert_eq!(load_with(SIGNED_BLOB, &keys, &mem).0, R::Ok);
}

#[test]
#[cfg_attr(miri, ignore = "two loads: slow under miri; the native run covers it")]
fn failed_reload_leaves_no_engine_behind() {
    let loaded = load();
    let d = evaluate(loaded.engine, &req("GET", "/health"));
    assert_eq!(read(&d).kind, warden_kind::Allow as u32);
    let ring = keyring();
    let keys = c_keys(&ring);
    let (r, out) = load_with(&BLOB[..20], &keys, &loaded.memory);
    assert_eq!((r, out.is_null()), (warden_result::Truncated, true));
    let mut d2 = new_decision();
    assert_eq!(evaluate_into(loaded.engine, &req("GET", "/health"), &mut d2), warden_result::NotLoaded);
    // SAFETY: `d` is a decision of the engine that is gone.
    assert_eq!(unsafe { warden_decision_kind(&*d) }, 0, "its decisions are stale");
}

// ---- evaluate: arguments -------------------------------------------------------------------

#[test]
fn evaluate_refuses_bad_arguments_and_resets_the_decision() {
    let loaded = load();
    let e = loaded.engine;
    let ok = req("GET", "/health");
    let mut d = new_decision();
    let mut expect = |r: &Req, engine: *const warden_engine, want: warden_result| {
        assert_eq!(evaluate_into(e, &ok, &mut d), warden_result::Ok);
        assert_eq!(evaluate_into(engine, r, &mut d), want, "{r:?}");
        // SAFETY: `d` is a decision.
        assert_eq!(unsafe { warden_decision_kind(&*d) }, 0, "reset after {want:?}");
    };
    use warden_result as R;
    expect(&ok, ptr::null(), R::NullParameter);
    expect(&ok, e.cast::<u8>().wrapping_add(1).cast(), R::Misaligned);
    let unloaded = Memory::for_engine();
    expect(&ok, unloaded.ptr().cast(), R::NotLoaded);
    expect(&req("", "/health"), e, R::InvalidLength);
    let mut too_many = req("GET", "/health");
    for i in 0..=WARDEN_MAX_HEADERS {
        too_many = too_many.header(&format!("x-h{i}"), "v");
    }
    expect(&too_many, e, R::TooManyHeaders);
    expect(&req("GET", "/health").header("", "v"), e, R::InvalidLength);

    // Pointer and integer fields, edited on the C struct itself.
    let raw = |edit: &dyn Fn(&mut warden_request)| {
        let r = req("GET", "/health").header("x-a", "1");
        r.with_c(|c| {
            let mut c = *c;
            edit(&mut c);
            let mut d = new_decision();
            // SAFETY: the edits make fields invalid only in ways the library must detect.
            unsafe { warden_evaluate(e, &c, &mut *d) }
        })
    };
    assert_eq!(raw(&|c| c.method = ptr::null()), R::NullParameter);
    assert_eq!(raw(&|c| c.path = ptr::null()), R::NullParameter);
    assert_eq!(raw(&|c| c.headers = ptr::null()), R::NullParameter);
    assert_eq!(raw(&|c| c.headers = c.headers.cast::<u8>().wrapping_add(1).cast()), R::Misaligned);
    assert_eq!(raw(&|c| c.path_len = usize::MAX), R::InvalidLength);
    for family in [0, 2, 5, 41, u32::MAX] {
        assert_eq!(raw(&|c| c.ip_family = family), R::InvalidValue, "family {family}");
    }
    // Allowed: an empty path (decided), no headers with NULL, an empty header value.
    assert_eq!(raw(&|c| c.path_len = 0), R::Ok);
    assert_eq!(raw(&|c| (c.headers, c.headers_len) = (ptr::null(), 0)), R::Ok);
    let empty = req("GET", "/health").header("x-empty", "");
    assert_eq!(evaluate_into(e, &empty, &mut new_decision()), R::Ok);

    // NULL request, NULL and misaligned decision.
    // SAFETY: deliberately bad pointers the library must refuse.
    unsafe {
        assert_eq!(warden_evaluate(e, ptr::null(), &mut *new_decision()), R::NullParameter);
        ok.with_c(|c| {
            assert_eq!(warden_evaluate(e, c, ptr::null_mut()), R::NullParameter);
            let mut words = vec![0u64; WARDEN_DECISION_WORDS + 1];
            let misaligned = words.as_mut_ptr().cast::<u8>().wrapping_add(4).cast::<warden_decision>();
            assert_eq!(warden_evaluate(e, c, misaligned), R::Misaligned);
        });
    }
}

#[test]
fn accessors_refuse_null_misaligned_and_unfilled_decisions() {
    let zeroed = new_decision();
    let mut n = usize::MAX;
    let mut buf = [0 as c_char; 8];
    use warden_result as R;
    // SAFETY: deliberately bad decisions the library must recognise.
    unsafe {
        for d in [ptr::null(), &raw const *zeroed, (&raw const *zeroed).cast::<u8>().wrapping_add(4).cast()] {
            assert_eq!(warden_decision_kind(d), 0);
            assert_eq!(warden_decision_status(d), 0);
            assert_eq!(warden_decision_reason(d), 0);
            assert_eq!(warden_decision_role_count(d), 0);
            assert_eq!(warden_decision_challenge_count(d), 0);
            assert!(!warden_decision_refresh_advised(d));
            assert!(!warden_decision_cors_allow_credentials(d));
        }
        assert_eq!(warden_decision_rule(ptr::null(), buf.as_mut_ptr(), 8, &mut n), R::NullParameter);
        assert_eq!(n, 0);
        assert_eq!(warden_decision_rule(&*zeroed, buf.as_mut_ptr(), 8, &mut n), R::NoDecision);
        let misaligned = (&raw const *zeroed).cast::<u8>().wrapping_add(4).cast();
        assert_eq!(warden_decision_subject(misaligned, buf.as_mut_ptr(), 8, &mut n), R::Misaligned);
        assert_eq!(warden_decision_rule(&*zeroed, buf.as_mut_ptr(), 8, ptr::null_mut()), R::NullParameter);
        let mut age = 1u32;
        assert_eq!(warden_decision_cors_max_age(&*zeroed, &mut age), R::NoDecision);
        assert_eq!(age, 0);
        assert_eq!(warden_decision_cors_max_age(&*zeroed, ptr::null_mut()), R::NullParameter);
    }
}

// ---- decisions -----------------------------------------------------------------------------

#[test]
#[cfg_attr(miri, ignore = "two loads per parity check: slow under miri; the native run covers it")]
fn allow_by_api_key_carries_subject_roles_and_rule() {
    let loaded = load();
    let ring = keyring();
    let core = core_engine(&ring);
    let r = parity(&loaded, &core, &req("GET", "/metrics").header("X-Api-Key", API_KEY_METRICS));
    assert_eq!((r.kind, r.status, reason_name(r.reason).as_str()), (1, 200, "allowed"));
    assert_eq!(r.rule.as_deref(), Some("metrics"));
    assert_eq!(r.subject.as_deref(), Some("metrics-scraper"));
    assert_eq!(r.roles, ["metrics"]);
    assert!(r.challenges.is_empty() && r.cors.is_none() && !r.refresh_advised);
}

#[test]
#[cfg_attr(miri, ignore = "two loads per parity check: slow under miri; the native run covers it")]
fn allow_by_token_with_cors_answer() {
    let loaded = load();
    let ring = keyring();
    let core = core_engine(&ring);
    let r = parity(
        &loaded,
        &core,
        &req("GET", "/api/v1/orders/42")
            .header("Authorization", format!("Bearer {TOKEN_ALICE_READER}"))
            .header("Origin", "https://shop.example.com"),
    );
    assert_eq!((r.kind, reason_name(r.reason).as_str()), (1, "allowed"));
    assert_eq!(r.subject.as_deref(), Some("alice"));
    assert_eq!(r.roles, ["orders:read"]);
    let cors = r.cors.expect("a CORS answer");
    assert_eq!(cors.allow_origin, "https://shop.example.com");
    assert!(cors.allow_credentials);
    assert!(cors.preflight.is_none());
}

#[test]
#[cfg_attr(miri, ignore = "two loads per parity check: slow under miri; the native run covers it")]
fn expired_token_is_401_with_invalid_token_challenges() {
    let loaded = load();
    let ring = keyring();
    let core = core_engine(&ring);
    let late = NOW + 3600 + 61;
    let r = parity(
        &loaded,
        &core,
        &req("GET", "/api/v1/orders/42").header("Authorization", format!("Bearer {TOKEN_ALICE_READER}")).now(late),
    );
    assert_eq!((r.kind, r.status, reason_name(r.reason).as_str()), (2, 401, "token_expired"));
    assert_eq!(r.subject, None);
    assert_eq!(
        r.challenges,
        [
            "Bearer realm=\"edge-api\", error=\"invalid_token\", error_description=\"the access token expired\"",
            "ApiKey realm=\"edge-api\""
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore = "two loads per parity check: slow under miri; the native run covers it")]
fn wrong_role_is_403_with_subject_and_blocked_ip_is_403_without() {
    let loaded = load();
    let ring = keyring();
    let core = core_engine(&ring);
    let r = parity(&loaded, &core, &req("GET", "/metrics").header("x-api-key", API_KEY_CI_BOT));
    assert_eq!((r.kind, r.status, reason_name(r.reason).as_str()), (3, 403, "insufficient_role"));
    assert_eq!(r.subject.as_deref(), Some("ci-bot"));
    assert_eq!(r.roles, ["deployer"]);
    let r = parity(&loaded, &core, &req("GET", "/health").ip("203.0.113.9"));
    assert_eq!((r.kind, reason_name(r.reason).as_str()), (3, "ip_blocked"));
    assert_eq!((r.rule.as_deref(), r.subject), (Some("health"), None));
    let r = parity(&loaded, &core, &req("GET", "/nowhere"));
    assert_eq!((reason_name(r.reason).as_str(), r.rule), ("no_matching_rule", None));
}

#[test]
#[cfg_attr(miri, ignore = "two loads per parity check: slow under miri; the native run covers it")]
fn preflight_answers_methods_headers_and_max_age() {
    let loaded = load();
    let ring = keyring();
    let core = core_engine(&ring);
    let listed = req("OPTIONS", "/api/v1/orders/7")
        .header("Origin", "https://shop.example.com")
        .header("Access-Control-Request-Method", "PUT");
    let r = parity(&loaded, &core, &listed);
    assert_eq!(reason_name(r.reason), "preflight");
    let (methods, headers, max_age) = r.cors.expect("cors").preflight.expect("preflight");
    // The rule's methods, in the order of the policy's method table.
    assert_eq!(methods, "POST, DELETE, PUT, PATCH");
    assert_eq!((headers.as_str(), max_age), ("authorization, content-type, x-api-key", 600));
    // A rule with methods = ["*"] echoes the requested method.
    let any = req("OPTIONS", "/api/anything")
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "PROPFIND");
    let r = parity(&loaded, &core, &any);
    assert_eq!(r.cors.expect("cors").preflight.expect("preflight").0, "PROPFIND");
}

#[test]
fn decision_stays_readable_after_the_request_buffers_are_gone() {
    let loaded = load();
    let mut d = new_decision();
    let expected;
    {
        // Every byte of the request lives in these heap buffers, freed at the end of the block.
        let r = req("OPTIONS", "/api/x")
            .header("Origin", "https://app.example.com")
            .header("Access-Control-Request-Method", "PROPFIND")
            .header("Authorization", format!("Bearer {TOKEN_ALICE_READER}"));
        assert_eq!(evaluate_into(loaded.engine, &r, &mut d), warden_result::Ok);
        let ring = keyring();
        let core = core_engine(&ring);
        let mut headers = Vec::new();
        expected = read_core(&core.evaluate(&r.core(&mut headers)));
    }
    // Overwrite the freed memory's likely reuse, then read: miri and ASan flag any pointer
    // into the request.
    let _noise: Vec<Vec<u8>> = (0..8).map(|i| vec![i; 64]).collect();
    assert_eq!(read(&d), expected);
    assert_eq!(expected.cors.as_ref().map(|c| c.allow_origin.as_str()), Some("https://app.example.com"));
}

#[test]
fn a_copied_decision_reads_the_same() {
    let loaded = load();
    let d = evaluate(loaded.engine, &req("GET", "/metrics").header("x-api-key", API_KEY_METRICS));
    let mut copy = new_decision();
    // SAFETY: both are warden_decision; a plain byte copy as C's memcpy.
    unsafe { ptr::copy_nonoverlapping(&raw const *d, &raw mut *copy, 1) };
    drop(d);
    assert_eq!(read(&copy).subject.as_deref(), Some("metrics-scraper"));
}

#[test]
fn decisions_of_a_cleared_or_reloaded_engine_are_stale() {
    let loaded = load();
    let d = evaluate(loaded.engine, &req("GET", "/metrics").header("x-api-key", API_KEY_METRICS));
    let mut n = 0usize;
    let mut buf = [0 as c_char; 64];
    // SAFETY: valid buffers; the engine memory stays allocated throughout.
    unsafe {
        assert_eq!(warden_decision_subject(&*d, buf.as_mut_ptr(), 64, &mut n), warden_result::Ok);
        assert_eq!(warden_engine_clear(loaded.engine), warden_result::Ok);
        assert_eq!(warden_decision_subject(&*d, buf.as_mut_ptr(), 64, &mut n), warden_result::StaleDecision);
        assert_eq!(warden_decision_kind(&*d), 0);
        assert!(core::slice::from_raw_parts(loaded.memory.ptr(), loaded.memory.len()).iter().all(|&b| b == 0));
        assert_eq!(warden_engine_clear(loaded.engine), warden_result::NotLoaded);
        assert_eq!(warden_engine_clear(ptr::null_mut()), warden_result::NullParameter);
    }
    // Reloading the same memory does not revive old decisions.
    let ring = keyring();
    let keys = c_keys(&ring);
    let (r, _) = load_with(BLOB, &keys, &loaded.memory);
    assert_eq!(r, warden_result::Ok);
    // SAFETY: as above.
    unsafe {
        assert_eq!(warden_decision_subject(&*d, buf.as_mut_ptr(), 64, &mut n), warden_result::StaleDecision);
    }
    assert_eq!(read(&evaluate(loaded.engine, &req("GET", "/health"))).status, 200);
}

#[test]
fn text_buffers_too_small_get_the_needed_size_and_stay_untouched() {
    let loaded = load();
    let d = evaluate(loaded.engine, &req("GET", "/metrics").header("x-api-key", API_KEY_METRICS));
    let subject = b"metrics-scraper";
    let needed = subject.len() + 1;
    for len in [0, 1, needed - 1] {
        let mut buf = vec![0x55 as c_char; needed + 4];
        let mut n = 0usize;
        // SAFETY: `buf` has at least `len` bytes.
        let r = unsafe { warden_decision_subject(&*d, buf.as_mut_ptr(), len, &mut n) };
        assert_eq!((r, n), (warden_result::BufferTooSmall, needed), "len {len}");
        assert!(buf.iter().all(|&c| c == 0x55), "nothing written with len {len}");
    }
    let mut buf = vec![0x55 as c_char; needed + 4];
    let mut n = 0usize;
    // SAFETY: as above.
    let r = unsafe { warden_decision_subject(&*d, buf.as_mut_ptr(), needed, &mut n) };
    assert_eq!((r, n), (warden_result::Ok, needed));
    // SAFETY: NUL-terminated within `buf`.
    assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes(), subject);
    assert_eq!(buf[needed], 0x55, "nothing past the NUL");
    // NULL with a length is an error, not a size query.
    // SAFETY: a deliberately bad buffer.
    let r = unsafe { warden_decision_subject(&*d, ptr::null_mut(), 8, &mut n) };
    assert_eq!((r, n), (warden_result::NullParameter, needed));
    // The same rule for challenges.
    let d = evaluate(loaded.engine, &req("GET", "/metrics"));
    let mut small = [0 as c_char; 4];
    // SAFETY: valid buffer.
    let r = unsafe { warden_decision_challenge(&*d, 0, small.as_mut_ptr(), small.len(), &mut n) };
    assert_eq!((r, n), (warden_result::BufferTooSmall, "ApiKey realm=\"edge-api\"".len() + 1));
}

#[test]
fn absent_values_and_out_of_range_indexes_are_codes() {
    let loaded = load();
    let d = evaluate(loaded.engine, &req("GET", "/nowhere"));
    let mut n = usize::MAX;
    let mut buf = [0 as c_char; 64];
    use warden_result as R;
    // SAFETY: valid buffers.
    unsafe {
        assert_eq!(warden_decision_rule(&*d, buf.as_mut_ptr(), 64, &mut n), R::Absent);
        assert_eq!(n, 0);
        assert_eq!(warden_decision_subject(&*d, buf.as_mut_ptr(), 64, &mut n), R::Absent);
        assert_eq!(warden_decision_cors_allow_origin(&*d, buf.as_mut_ptr(), 64, &mut n), R::Absent);
        assert_eq!(warden_decision_cors_allow_methods(&*d, buf.as_mut_ptr(), 64, &mut n), R::Absent);
        assert_eq!(warden_decision_cors_allow_headers(&*d, buf.as_mut_ptr(), 64, &mut n), R::Absent);
        assert_eq!(warden_decision_role(&*d, 0, buf.as_mut_ptr(), 64, &mut n), R::IndexOutOfRange);
        assert_eq!(warden_decision_challenge(&*d, 0, buf.as_mut_ptr(), 64, &mut n), R::IndexOutOfRange);
        assert_eq!(warden_decision_challenge(&*d, usize::MAX, buf.as_mut_ptr(), 64, &mut n), R::IndexOutOfRange);
    }
}

#[test]
#[cfg_attr(miri, ignore = "many token evaluations: slow under miri; the native run covers it")]
fn over_long_origin_is_never_allowed_and_over_long_method_never_echoed() {
    let loaded = load();
    let host = |len: usize| format!("https://{}.example.com", "a".repeat(len - "https://.example.com".len()));
    let fits = host(WARDEN_MAX_ORIGIN_LEN);
    let long = host(WARDEN_MAX_ORIGIN_LEN + 1);
    let get = |origin: &str| read(&evaluate(loaded.engine, &req("GET", "/health").header("origin", origin)));
    assert_eq!(get(&fits).cors.map(|c| c.allow_origin), Some(fits.clone()));
    assert_eq!(get(&long).cors, None, "not echoed");
    let r = read(&evaluate(
        loaded.engine,
        &req("GET", "/api/v1/orders/1")
            .header("origin", &long)
            .header("authorization", format!("Bearer {TOKEN_ALICE_READER}")),
    ));
    assert_eq!(reason_name(r.reason), "origin_not_allowed");

    let preflight = |method: &str| {
        read(&evaluate(
            loaded.engine,
            &req("OPTIONS", "/api/x")
                .header("origin", "https://app.example.com")
                .header("access-control-request-method", method),
        ))
    };
    let m = "M".repeat(WARDEN_MAX_METHOD_LEN);
    assert_eq!(preflight(&m).cors.and_then(|c| c.preflight).map(|p| p.0), Some(m.clone()));
    let long_method = "M".repeat(WARDEN_MAX_METHOD_LEN + 1);
    let r = preflight(&long_method);
    assert!(r.cors.and_then(|c| c.preflight).is_none_or(|p| p.0.is_empty()), "never echoed");
}

#[test]
#[cfg_attr(miri, ignore = "threads and many evaluations")]
fn one_engine_is_shared_by_many_threads() {
    let loaded = load();
    let engine = loaded.engine as usize;
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                let e = engine as *const warden_engine;
                for i in 0..200 {
                    let r = if (i + t) % 2 == 0 {
                        req("GET", "/metrics").header("x-api-key", API_KEY_METRICS)
                    } else {
                        req("GET", "/metrics").header("x-api-key", API_KEY_CI_BOT)
                    };
                    let got = read(&evaluate(e, &r));
                    assert_eq!(got.status, if (i + t) % 2 == 0 { 200 } else { 403 });
                }
            });
        }
    });
}
