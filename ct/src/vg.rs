//! Valgrind client requests without a dependency: the magic instruction sequence of
//! `valgrind.h` for amd64, issued with `core::arch::asm!`.
//!
//! Natively the sequence is a no-op (four rotations of `rdi` by 128 bits in total and
//! `xchg rbx, rbx`) and every request returns its default value. Under valgrind the
//! sequence is recognised and the request block pointed to by `rax` is served; the result
//! comes back in `rdx`. On other architectures every request is a no-op, so the harnesses
//! build everywhere but only check something on x86-64 Linux under valgrind.

#![allow(unsafe_code, reason = "valgrind client requests are a magic inline-asm sequence")]

/// `VG_USERREQ_TOOL_BASE(a, b)` of `valgrind.h`.
const fn tool_base(a: u8, b: u8) -> usize {
    ((a as usize) << 24) | ((b as usize) << 16)
}

const RUNNING_ON_VALGRIND: usize = 0x1001;
const COUNT_ERRORS: usize = 0x1201;
const MC_MAKE_MEM_UNDEFINED: usize = tool_base(b'M', b'C') + 1;
const MC_MAKE_MEM_DEFINED: usize = tool_base(b'M', b'C') + 2;
const CG_DUMP_STATS_AT: usize = tool_base(b'C', b'T') + 3;
const CG_ZERO_STATS: usize = tool_base(b'C', b'T') + 1;

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn request(default: usize, req: usize, a1: usize, a2: usize) -> usize {
    let args: [usize; 6] = [req, a1, a2, 0, 0, 0];
    let mut result = default;
    // SAFETY: natively the sequence rotates `rdi` by 3 + 13 + 61 + 51 = 128 bits (its value is
    // unchanged, but it is declared clobbered) and exchanges `rbx` with itself; `rax` points to
    // a live six-word array that valgrind reads. The default `asm!` options assume memory may
    // be read or written, which is what the memcheck requests do to their argument ranges.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") result,
            out("rdi") _,
            options(nostack),
        );
    }
    result
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn request(default: usize, _req: usize, _a1: usize, _a2: usize) -> usize {
    default
}

/// Whether the program runs under valgrind (any tool).
#[must_use]
pub fn running_on_valgrind() -> bool {
    request(0, RUNNING_ON_VALGRIND, 0, 0) != 0
}

/// Errors reported so far by the running tool (0 natively).
#[must_use]
pub fn error_count() -> usize {
    request(0, COUNT_ERRORS, 0, 0)
}

/// Marks `len` bytes at `ptr` as undefined for memcheck: from here on they are secret, and a
/// branch or an address computed from them is reported (`VALGRIND_MAKE_MEM_UNDEFINED`).
pub fn secret(ptr: *const u8, len: usize) {
    request(0, MC_MAKE_MEM_UNDEFINED, ptr as usize, len);
}

/// Marks `len` bytes at `ptr` as defined: declassification (`VALGRIND_MAKE_MEM_DEFINED`).
pub fn public(ptr: *const u8, len: usize) {
    request(0, MC_MAKE_MEM_DEFINED, ptr as usize, len);
}

/// [`secret`] for a slice.
pub fn secret_slice(bytes: &[u8]) {
    secret(bytes.as_ptr(), bytes.len());
}

/// Callgrind: zeroes the counters (`CALLGRIND_ZERO_STATS`).
pub fn zero_stats() {
    request(0, CG_ZERO_STATS, 0, 0);
}

/// Callgrind: writes a profile dump named `label` and zeroes the counters
/// (`CALLGRIND_DUMP_STATS_AT`). `label` must end with a NUL byte.
pub fn dump_stats_at(label: &core::ffi::CStr) {
    request(0, CG_DUMP_STATS_AT, label.as_ptr() as usize, 0);
}
