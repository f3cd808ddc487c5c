//! The core never touches the heap: loading a compiled policy and deciding requests of every
//! kind performs zero allocations, counted by a global allocator that tallies the calls made
//! on this test's thread.

#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    reason = "a counting GlobalAlloc needs unsafe impls; test code"
)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use warden::{Decision, Engine};

/// Counts allocation calls (alloc, zeroed alloc, realloc) made on the current thread while
/// counting is on; delegates everything to the system allocator.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: thread-local storage may be gone while a thread shuts down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = CALLS.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so it
// upholds `GlobalAlloc`'s contract exactly as `System` does; counting touches only
// const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged (see the impl's comment).
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with counting on and returns (its result, allocation calls).
fn counted<R>(f: impl FnOnce() -> R) -> (R, usize) {
    CALLS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    let r = f();
    COUNTING.with(|on| on.set(false));
    (r, CALLS.with(Cell::get))
}

/// Reads everything a host reads from a decision, including rendering every challenge and
/// the CORS answer into stack buffers, so that lazily built parts are exercised too.
fn consume(d: &Decision<'_>) -> usize {
    let mut n = usize::from(d.status()) + d.reason().as_str().len();
    n += d.rule().map_or(0, str::len) + d.subject().map_or(0, str::len) + d.roles().len();
    n += usize::from(d.refresh_advised());
    let mut buf = [0u8; 1024];
    for c in d.challenges() {
        n += c.render(&mut buf).map_or(0, str::len);
    }
    if let Some(cors) = d.cors() {
        n += cors.allow_origin().len() + usize::from(cors.allow_credentials());
        if let Some(p) = cors.preflight() {
            n += p.allow_methods().render(&mut buf).map_or(0, str::len) + p.allow_headers().len();
        }
    }
    n
}

#[test]
fn the_counter_sees_allocations() {
    let (v, calls) = counted(|| black_box(vec![1u8; 64]).len());
    assert_eq!(v, 64);
    assert!(calls >= 1, "the counting allocator must notice a Vec");
}

#[test]
fn load_then_evaluate_allocates_nothing_for_any_decision() {
    for rules in [8, 32, 128] {
        let blob = support::blob(rules);
        let keys = support::keyring();
        let cases = support::cases();
        // Requests are built before counting: they are the host's data, not the engine's.
        let (engine, calls) = counted(|| Engine::load(black_box(&blob), &keys).unwrap());
        assert_eq!(calls, 0, "Engine::load allocated ({rules} rules)");
        for case in &cases {
            for _ in 0..3 {
                let (n, calls) = case.with(|req| counted(|| consume(&black_box(&engine).evaluate(black_box(req)))));
                assert!(n > 0);
                assert_eq!(calls, 0, "evaluate allocated for {} ({rules} rules)", case.name);
            }
            case.with(|req| {
                let d = engine.evaluate(req);
                assert_eq!((d.status(), d.reason().as_str()), case.expect, "{}", case.name);
            });
        }
        for case in &cases {
            let (n, calls) = case.with(|req| {
                counted(|| {
                    let e = black_box(&engine).explain(black_box(req));
                    consume(&e.decision) + e.checks.iter().map(|c| c.name().len()).sum::<usize>()
                })
            });
            assert!(n > 0);
            assert_eq!(calls, 0, "explain allocated for {} ({rules} rules)", case.name);
        }
    }
}
