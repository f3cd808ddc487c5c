//! The engine in caller-owned memory: its size and alignment, load, clear.
//!
//! The caller provides `warden_engine_size()` bytes aligned to `warden_engine_align()`
//! (a static array on firmware, `aligned_alloc` on a host); load writes the engine there and
//! nothing is allocated. The engine borrows the compiled-policy bytes: they must stay alive and
//! unchanged until the engine is cleared or its memory reused.

use core::ffi::{c_char, c_void};
use core::sync::atomic::{AtomicU32, Ordering};

use warden::{Engine, KeyMaterial};

use crate::boundary::{self, Empty};
use crate::codes::warden_result;

/// Most keys one `warden_engine_load` call accepts (a keyring may hold more keys than the
/// policy names, e.g. during rotation). The keys are converted on the stack, hence a bound.
pub const WARDEN_MAX_KEYRING: usize = 32;

/// An engine, as C sees it: an opaque type that lives in memory the caller provides
/// (`warden_engine_size()` bytes aligned to `warden_engine_align()`).
pub struct warden_engine {
    _private: [u8; 0],
}

impl core::fmt::Debug for warden_engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("warden_engine { .. }")
    }
}

/// One HMAC secret of the keyring: the secret for the policy's `[[key]]` with this `id`.
/// Both are byte strings with explicit lengths; the id must be UTF-8. Only read during load.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct warden_key {
    /// Key id, as in the policy (the JWT `kid`); not NUL-terminated, length `id_len`.
    pub id: *const c_char,
    /// Length of `id` in bytes (not 0).
    pub id_len: usize,
    /// Secret bytes (at least the algorithm's output size: 32, 48 or 64).
    pub secret: *const u8,
    /// Length of `secret` in bytes (not 0).
    pub secret_len: usize,
}

/// What the caller's engine memory holds: a marker that tells a loaded engine from anything
/// else, a number that changes with every load (so a decision can tell it outlived its
/// engine), and the engine.
#[repr(C)]
pub(crate) struct Slot {
    magic: u64,
    pub(crate) generation: u32,
    pub(crate) engine: Engine<'static>,
}

const ENGINE_MAGIC: u64 = u64::from_le_bytes(*b"WRDNeng1");

/// Incremented by every load, so reloading the same memory invalidates old decisions.
static GENERATION: AtomicU32 = AtomicU32::new(1);

impl Slot {
    /// The loaded engine behind a C pointer.
    ///
    /// # Safety
    /// A non-NULL, aligned `p` must point to memory of at least `warden_engine_size()` bytes
    /// that holds a loaded engine or at least 8 initialised bytes, unmodified for `'a`.
    pub(crate) unsafe fn from_ptr<'a>(p: *const warden_engine) -> Result<&'a Self, warden_result> {
        if !p.is_null() && !p.cast::<Self>().is_aligned() {
            return Err(warden_result::Misaligned);
        }
        // SAFETY: forwarded contract; only the marker is read until it proves a loaded engine.
        let magic = unsafe { boundary::try_ref(p.cast::<u64>())? };
        if *magic != ENGINE_MAGIC {
            return Err(warden_result::NotLoaded);
        }
        // SAFETY: the marker is written only together with a fully initialised slot (load), and
        // cleared before the slot is wiped (clear).
        Ok(unsafe { &*p.cast::<Self>() })
    }

    /// Whether the memory at `p` still holds the engine of `generation` (not cleared, not
    /// reloaded). Reads two integers through the raw pointer, never a whole `Slot`: cleared
    /// memory is not a valid engine.
    ///
    /// # Safety
    /// `p` must point to engine memory that is still allocated (loaded, cleared or reloaded).
    pub(crate) unsafe fn holds(p: *const Self, generation: u32) -> bool {
        // SAFETY: allocated, aligned engine memory (contract); both fields are plain integers
        // and any bit pattern is valid for them.
        unsafe {
            core::ptr::addr_of!((*p).magic).read() == ENGINE_MAGIC
                && core::ptr::addr_of!((*p).generation).read() == generation
        }
    }
}

/// Bytes of memory an engine needs. Depends on the capacities this library was built with
/// (`WARDEN_MAX_*`); call it rather than hard-coding a number.
#[unsafe(no_mangle)]
pub extern "C" fn warden_engine_size() -> usize {
    size_of::<Slot>()
}

/// Alignment, in bytes, that engine memory needs (a power of two).
#[unsafe(no_mangle)]
pub extern "C" fn warden_engine_align() -> usize {
    align_of::<Slot>()
}

/// The library version (`MAJOR.MINOR.PATCH`), a static NUL-terminated string; never freed.
#[unsafe(no_mangle)]
pub extern "C" fn warden_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// The compiled-policy format version this library reads.
#[unsafe(no_mangle)]
pub extern "C" fn warden_format_version() -> u16 {
    warden::blob::FORMAT_VERSION
}

/// Loads a compiled policy (`.wdn`, signed or not; a signature is not checked) with a keyring
/// into `memory`, and sets `*engine_out` to the engine (the same address as `memory`).
///
/// `keys` may be NULL when `keys_len` is 0 (a policy without `[[key]]`s). On failure
/// `*engine_out` is set to NULL and `memory` holds no engine (`WARDEN_RESULT_NOT_LOADED`
/// for any later use), even if it held one before.
///
/// # Safety
/// `blob` must be readable for `blob_len` bytes and stay alive and unchanged as long as the
/// engine is used; `keys` must point to `keys_len` valid `warden_key`s (read only during the
/// call); `memory` must be writable for `memory_len` bytes, not in use by another thread, and
/// not moved while the engine is used; `engine_out` must be a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_engine_load(
    blob: *const u8,
    blob_len: usize,
    keys: *const warden_key,
    keys_len: usize,
    memory: *mut c_void,
    memory_len: usize,
    engine_out: *mut *mut warden_engine,
) -> warden_result {
    // SAFETY: forwarded contract.
    boundary::result(|| unsafe { load(blob, blob_len, keys, keys_len, None, memory, memory_len, engine_out) })
}

/// Like `warden_engine_load`, but refuses a compiled policy that is unsigned
/// (`WARDEN_RESULT_SIGNATURE_MISSING`) or not signed with `verify_key`, the bundle key given
/// to `warden compile --sign-key` (`WARDEN_RESULT_SIGNATURE_INVALID`).
///
/// # Safety
/// As `warden_engine_load`; `verify_key` must be readable for `verify_key_len` bytes (not 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_engine_load_verified(
    blob: *const u8,
    blob_len: usize,
    keys: *const warden_key,
    keys_len: usize,
    verify_key: *const u8,
    verify_key_len: usize,
    memory: *mut c_void,
    memory_len: usize,
    engine_out: *mut *mut warden_engine,
) -> warden_result {
    let verify = Some((verify_key, verify_key_len));
    // SAFETY: forwarded contract.
    boundary::result(|| unsafe { load(blob, blob_len, keys, keys_len, verify, memory, memory_len, engine_out) })
}

/// Checks and resets the outputs of a load: `*engine_out = NULL`, and the memory marked as
/// holding no engine. Returns the checked memory.
///
/// # Safety
/// As `warden_engine_load`.
unsafe fn load_prepare(
    memory: *mut c_void,
    memory_len: usize,
    engine_out: *mut *mut warden_engine,
) -> Result<*mut Slot, warden_result> {
    let engine_out = boundary::check_out(engine_out)?;
    // SAFETY: checked out-parameter.
    unsafe { boundary::write(engine_out, core::ptr::null_mut()) };
    let slot = boundary::check_out(memory.cast::<Slot>())?;
    if memory_len < size_of::<Slot>() {
        return Err(warden_result::BufferTooSmall);
    }
    // SAFETY: `slot` is non-NULL, aligned and at least one slot long (checked above); writable
    // per the contract. Clearing the marker first means a failed (re)load leaves no engine.
    unsafe { boundary::write(slot.cast::<u64>(), 0) };
    Ok(slot)
}

/// Load proper (see `warden_engine_load`).
///
/// # Safety
/// As `warden_engine_load_verified`; the verify key is read only during the call.
#[expect(clippy::too_many_arguments, reason = "the C signature, forwarded")]
unsafe fn load(
    blob: *const u8,
    blob_len: usize,
    keys: *const warden_key,
    keys_len: usize,
    verify_key: Option<(*const u8, usize)>,
    memory: *mut c_void,
    memory_len: usize,
    engine_out: *mut *mut warden_engine,
) -> Result<(), warden_result> {
    // SAFETY: forwarded contract.
    let slot = unsafe { load_prepare(memory, memory_len, engine_out)? };
    // SAFETY: the caller keeps the blob alive and unchanged while the engine is used, which is
    // what the erased ('static) lifetime stands for.
    let blob: &'static [u8] = unsafe { boundary::try_bytes(blob, blob_len, Empty::Refused)? };
    if keys_len > WARDEN_MAX_KEYRING {
        return Err(warden_result::TooManyKeys);
    }
    // SAFETY: forwarded contract; the keys are read only during this call.
    let keys = unsafe { boundary::try_slice(keys, keys_len)? };
    let mut ring = [KeyMaterial { id: "", secret: &[] }; WARDEN_MAX_KEYRING];
    for (k, slot) in keys.iter().zip(ring.iter_mut()) {
        // SAFETY: each key's pointers per the contract, read only during this call.
        let (id, secret) = unsafe {
            (
                boundary::try_bytes(k.id.cast::<u8>(), k.id_len, Empty::Refused)?,
                boundary::try_bytes(k.secret, k.secret_len, Empty::Refused)?,
            )
        };
        let id = core::str::from_utf8(id).map_err(|_| warden_result::InvalidUtf8)?;
        *slot = KeyMaterial { id, secret };
    }
    let ring = ring.get(..keys.len()).ok_or(warden_result::Internal)?;
    let engine = match verify_key {
        Some((p, len)) => {
            // SAFETY: forwarded contract; read only during this call.
            let v = unsafe { boundary::try_bytes(p, len, Empty::Refused)? };
            Engine::load_verified(blob, ring, v)?
        }
        None => Engine::load(blob, ring)?,
    };
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    // SAFETY: `slot` was checked by `load_prepare` (non-NULL, aligned, large enough, writable).
    unsafe { boundary::write(slot, Slot { magic: ENGINE_MAGIC, generation, engine }) };
    // SAFETY: checked by `load_prepare`.
    unsafe { boundary::write(engine_out, slot.cast::<warden_engine>()) };
    Ok(())
}

/// Wipes an engine: the memory (`warden_engine_size()` bytes) is overwritten with zeros, which
/// erases the precomputed HMAC key state, and decisions it made report
/// `WARDEN_RESULT_STALE_DECISION`. Nothing needs freeing: the memory is the caller's again.
///
/// Returns `WARDEN_RESULT_NOT_LOADED` (and writes nothing) when `engine` holds no engine.
///
/// # Safety
/// `engine` must be NULL or point to engine memory; no other thread may use the engine during
/// or after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_engine_clear(engine: *mut warden_engine) -> warden_result {
    boundary::result(|| {
        // SAFETY: forwarded contract. The shared reference ends here; the wipe below writes
        // through the caller's pointer.
        let _loaded = unsafe { Slot::from_ptr(engine)? };
        let p = engine.cast::<u8>();
        // SAFETY: `p` is a loaded slot of `size_of::<Slot>()` bytes in the caller's writable
        // memory (the contract says nothing else uses it). Volatile, so the wipe of key state is
        // never elided; the marker (first bytes) goes first.
        unsafe {
            for i in 0..size_of::<Slot>() {
                p.add(i).write_volatile(0);
            }
        }
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
        Ok(())
    })
}
