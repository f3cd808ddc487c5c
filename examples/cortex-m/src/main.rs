//! Warden on a Cortex-M4F (QEMU `mps2-an386`): loads the committed example policy with its dev
//! keys, decides every case of `policies/edge-api.cases.toml`, prints one line per case over
//! semihosting and exits non-zero if any decision differs from the expected one.
//!
//! No global allocator is linked: if anything in Warden needed a heap, this would not link.
//! Nothing here uses `core::fmt`, so the flash figures are Warden's and not the formatter's.
//!
//! It also measures what the README's embedded table reports: the engine's size in RAM and the
//! stack of `evaluate` for each case (printed at the end of the case's line) and at its peak,
//! by painting the stack before each decision and finding the deepest overwritten word
//! afterwards; and the same for the load (the engine is a static, loaded in place).

#![no_std]
#![no_main]

#[cfg(not(feature = "baseline"))]
use core::mem::MaybeUninit;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cortex_m_rt::entry;
use semihosting::io::Write as _;
#[cfg(not(feature = "baseline"))]
use warden::{Engine, KeyMaterial, Request};
use warden::Header;

/// One case of the example's case file.
struct Case {
    name: &'static str,
    method: &'static [u8],
    path: &'static [u8],
    ip: Option<IpAddr>,
    headers: &'static [Header<'static>],
    now: u64,
    status: u16,
    reason: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));

/// The compiled example policy, as committed (regenerate with `warden compile`).
#[cfg(not(any(feature = "baseline", feature = "hmac-policy")))]
static BLOB: &[u8] = include_bytes!("../../../policies/edge-api.wdn");
/// The same policy without its public keys, for the size builds without public-key features.
#[cfg(all(not(feature = "baseline"), feature = "hmac-policy"))]
static BLOB: &[u8] = include_bytes!("../../../policies/edge-api-hmac.wdn");

#[cfg(not(feature = "baseline"))]
const PAINT: u32 = 0xA5A5_A5A5;
/// Bytes of stack painted below the caller's frame.
#[cfg(not(feature = "baseline"))]
const WINDOW: usize = 32 * 1024;
/// Bytes left alone just below the caller's stack pointer (room for `paint`'s own frame).
#[cfg(not(feature = "baseline"))]
const MARGIN: usize = 512;

fn out(bytes: &[u8]) {
    if let Ok(mut o) = semihosting::io::stdout() {
        let _ = o.write_all(bytes);
    }
}

fn out_num(mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out(&digits[i..]);
}

#[cfg(not(feature = "baseline"))]
/// Fills the stack below the current frame with a pattern; returns the top of the painted area.
#[inline(never)]
fn paint() -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp - MARGIN;
    let mut addr = top - WINDOW;
    while addr < top {
        // SAFETY: the window lies in RAM below every live frame (the stack starts at the top of
        // the 4 MiB RAM and this program never uses 32 KiB), so nothing live is overwritten.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
    top
}

#[cfg(not(feature = "baseline"))]
/// Bytes of the painted area that were overwritten since `paint`.
#[inline(never)]
fn stack_used(top: usize) -> usize {
    let mut addr = top - WINDOW;
    while addr < top {
        // SAFETY: the same window `paint` wrote; reading it is always valid.
        if unsafe { core::ptr::read_volatile(addr as *const u32) } != PAINT {
            return top - addr;
        }
        addr += 4;
    }
    0
}

#[entry]
fn main() -> ! {
    out(b"warden on cortex-m4 (qemu mps2-an386)\n");
    let code = run();
    semihosting::process::exit(code)
}

/// Where the engine lives: a static in `.bss` (uninitialised memory costs no flash; a static
/// initialised with `Engine::empty()` would be in `.data`, its whole size copied from flash).
#[cfg(not(feature = "baseline"))]
static mut ENGINE: MaybeUninit<Engine<'static>> = MaybeUninit::uninit();

/// Loads the example policy into [`ENGINE`] in place (`Engine::empty_in`, then
/// `Engine::load_into`): no engine-sized value is built on the stack. Once only.
#[cfg(not(feature = "baseline"))]
#[inline(never)]
fn load(keyring: &[KeyMaterial<'_>]) -> Option<&'static Engine<'static>> {
    // SAFETY: called once, from `run`, before anything else refers to ENGINE, and nothing
    // runs concurrently (no interrupt handler touches it): this is the only reference to it.
    let slot = unsafe { &mut *core::ptr::addr_of_mut!(ENGINE) };
    let engine = Engine::empty_in(slot);
    engine.load_into(BLOB, keyring).ok()?;
    Some(engine)
}

#[cfg(not(feature = "baseline"))]
fn run() -> i32 {
    let mut ring = [KeyMaterial { id: "", secret: &[] }; 8];
    for (slot, (id, secret)) in ring.iter_mut().zip(KEYS) {
        *slot = KeyMaterial { id, secret };
    }
    let keyring = &ring[..KEYS.len().min(ring.len())];
    // The stack is painted around the load, so what it costs is measured too.
    let top = paint();
    let engine = load(keyring);
    let load_stack = stack_used(top);
    let Some(engine) = engine else {
        out(b"FAIL: the compiled policy did not load\n");
        return 2;
    };

    // Decide everything with the stack painted afresh before each case, printing only
    // afterwards, so that each high-water mark is that case's evaluate and not the printer's.
    let mut got = [(0u16, "", 0usize); CASES.len()];
    for (case, slot) in CASES.iter().zip(got.iter_mut()) {
        let top = paint();
        let request = Request { method: case.method, path: case.path, client_ip: case.ip, headers: case.headers, now: case.now };
        let decision = engine.evaluate(&request);
        *slot = (decision.status(), decision.reason().as_str(), stack_used(top));
    }
    let (mut peak, mut peak_case) = (0, "");
    for (case, (_, _, stack)) in CASES.iter().zip(got) {
        if stack > peak {
            (peak, peak_case) = (stack, case.name);
        }
    }

    let mut failed = 0usize;
    for (case, (status, reason, stack)) in CASES.iter().zip(got) {
        let ok = status == case.status && reason == case.reason;
        out(if ok { b"ok   " } else { b"FAIL " });
        out(case.name.as_bytes());
        out(b" -> ");
        out_num(usize::from(status));
        out(b" ");
        out(reason.as_bytes());
        if !ok {
            failed += 1;
            out(b" (expected ");
            out_num(usize::from(case.status));
            out(b" ");
            out(case.reason.as_bytes());
            out(b")");
        }
        out(b" (stack ");
        out_num(stack);
        out(b")\n");
    }
    out(b"cases: ");
    out_num(CASES.len());
    out(b", failed: ");
    out_num(failed);
    out(b"\nengine size (bytes): ");
    out_num(core::mem::size_of::<Engine<'_>>());
    out(b"\ncompiled policy (bytes): ");
    out_num(BLOB.len());
    out(b"\npeak stack of evaluate (bytes): ");
    out_num(peak);
    out(b" (");
    out(peak_case.as_bytes());
    out(b")\n");
    out(b"peak stack of load (bytes): ");
    out_num(load_stack);
    out(b"\n");
    if failed == 0 { 0 } else { 1 }
}

/// The same program shape without Warden, to measure what Warden adds to flash.
#[cfg(feature = "baseline")]
fn run() -> i32 {
    for case in CASES {
        out(case.name.as_bytes());
        out(b" ");
        // Every header byte is read, so the case table (tokens included) is in this build's
        // flash as in the real one, and Warden's share is Warden's code and policy only.
        let sum = case.headers.iter().fold(0usize, |s, h| {
            h.name.iter().chain(h.value.iter()).fold(s, |s, b| s.wrapping_add(usize::from(*b)))
        });
        out_num(usize::from(case.status) + sum + case.method.len() + case.path.len());
        out(case.reason.as_bytes());
        if case.ip.is_some() || case.now == 0 {
            out(b"*");
        }
        out(b"\n");
    }
    0
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // No message: formatting would pull core::fmt into the image.
    semihosting::process::exit(101)
}

// Keep the address types used by the generated table in scope for both builds.
#[allow(dead_code, reason = "used by the generated case table")]
type Addresses = (Ipv4Addr, Ipv6Addr);
