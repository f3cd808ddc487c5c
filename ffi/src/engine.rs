//! The engine in caller-owned memory: its size and alignment, load, clear.
//!
//! The caller provides `warden_engine_size()` bytes aligned to `warden_engine_align()`
//! (a static array on firmware, `aligned_alloc` on a host); load writes the engine there and
//! nothing is allocated. The engine borrows the compiled-policy bytes: they must stay alive and
//! unchanged until the engine is cleared or its memory reused.

use core::ffi::{c_char, c_void};
use core::fmt;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU32, Ordering};

use warden::{Engine, KeyMaterial, LoadError};

use crate::boundary::{self, Empty};
use crate::codes::{warden_capacity, warden_result};
use crate::text;

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
    boundary::result(|| unsafe { load(blob, blob_len, keys, keys_len, None, memory, memory_len, engine_out, None) })
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
    boundary::result(|| unsafe { load(blob, blob_len, keys, keys_len, verify, memory, memory_len, engine_out, None) })
}

/// Like `warden_engine_load`, and fills `*error_out` with what a refusal was about: which
/// capacity of this build the policy exceeds, what it needs and the limit
/// (`WARDEN_RESULT_CAPACITY_EXCEEDED`); the index and id of the `[[key]]` the keyring lacks or
/// holds too short a secret for (`WARDEN_RESULT_KEY_MISSING`, `WARDEN_RESULT_KEY_TOO_SHORT`).
/// `error_out->code` is always the returned result (`WARDEN_RESULT_OK` on success);
/// `warden_load_error_message` renders it.
///
/// Returns `WARDEN_RESULT_NULL_PARAMETER` or `WARDEN_RESULT_MISALIGNED` (and loads nothing)
/// when `error_out` is NULL or misaligned.
///
/// # Safety
/// As `warden_engine_load`; `error_out` must be writable (it need not be initialised).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_engine_load_with_error(
    blob: *const u8,
    blob_len: usize,
    keys: *const warden_key,
    keys_len: usize,
    memory: *mut c_void,
    memory_len: usize,
    engine_out: *mut *mut warden_engine,
    error_out: *mut warden_load_error,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        load_reporting(error_out, |e| load(blob, blob_len, keys, keys_len, None, memory, memory_len, engine_out, e))
    }
}

/// `warden_engine_load_verified` with the `*error_out` of `warden_engine_load_with_error`.
///
/// # Safety
/// As `warden_engine_load_verified`; `error_out` as in `warden_engine_load_with_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_engine_load_verified_with_error(
    blob: *const u8,
    blob_len: usize,
    keys: *const warden_key,
    keys_len: usize,
    verify_key: *const u8,
    verify_key_len: usize,
    memory: *mut c_void,
    memory_len: usize,
    engine_out: *mut *mut warden_engine,
    error_out: *mut warden_load_error,
) -> warden_result {
    let verify = Some((verify_key, verify_key_len));
    // SAFETY: forwarded contract.
    unsafe {
        load_reporting(error_out, |e| load(blob, blob_len, keys, keys_len, verify, memory, memory_len, engine_out, e))
    }
}

/// Copies a one-line English description of a refused load into `buf`, NUL terminated: for
/// `WARDEN_RESULT_CAPACITY_EXCEEDED` the capacity, what the policy needs and the limit
/// (`compiled policy has 19 rules, more than this build's MAX_RULES of 16 (build with
/// WARDEN_MAX_RULES=19 or more)`), for the key results the key id, otherwise the message of
/// `warden_result_message`. The text rules of the API conventions apply (`*out_len` is the
/// size needed, NUL included; never truncated).
///
/// # Safety
/// `error` must point to a `warden_load_error` filled by a `warden_engine_load*_with_error`
/// call (possibly copied since); `buf` writable for `buf_len` bytes (or NULL with `buf_len` 0
/// to ask for the size); `out_len` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_load_error_message(
    error: *const warden_load_error,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    boundary::result(|| {
        let out_len = text::out_len(out_len)?;
        // SAFETY: forwarded contract.
        let e = unsafe { boundary::try_ref(error)? };
        let mut count = Count(0);
        e.describe(&mut count).map_err(|_| warden_result::Internal)?;
        // SAFETY: buffer and out_len per this function's contract.
        unsafe {
            text::emit(count.0, buf, buf_len, out_len, |dst| {
                let mut w = SliceWriter { dst, at: 0 };
                e.describe(&mut w).map_err(|_| warden_result::Internal)?;
                if w.at == w.dst.len() { Ok(()) } else { Err(warden_result::Internal) }
            })
        }
    })
}

/// Counts the bytes of a rendered text.
struct Count(usize);

impl fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.checked_add(s.len()).ok_or(fmt::Error)?;
        Ok(())
    }
}

/// Writes a rendered text into a slice of exactly its size.
struct SliceWriter<'b> {
    dst: &'b mut [u8],
    at: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.at.checked_add(s.len()).ok_or(fmt::Error)?;
        self.dst.get_mut(self.at..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.at = end;
        Ok(())
    }
}

/// Runs a load that reports into `*error_out`: checks and presets the out-parameter (so a
/// caught panic leaves `WARDEN_RESULT_PANIC` in it), runs `f`, and stores the result code.
///
/// # Safety
/// `error_out` as in `warden_engine_load_with_error`; `f` per its own contract.
unsafe fn load_reporting(
    error_out: *mut warden_load_error,
    f: impl FnOnce(Option<*mut warden_load_error>) -> Result<(), warden_result>,
) -> warden_result {
    boundary::guard(warden_result::Panic, || {
        let out = match boundary::check_out(error_out) {
            Ok(p) => p,
            Err(code) => return code,
        };
        // SAFETY: checked out-parameter.
        unsafe { boundary::write(out, warden_load_error::of_code(warden_result::Panic)) };
        let code = boundary::result(|| f(Some(out)));
        // SAFETY: checked out-parameter, initialised above; `f` wrote it whole, if at all.
        unsafe { core::ptr::addr_of_mut!((*out).code).write(code as u32) };
        code
    })
}

/// Size of `warden_load_error.key_id` in bytes: the longest key id a compiled policy may have
/// (255 bytes) and its NUL.
pub const WARDEN_KEY_ID_SIZE: usize = 256;

const _: () = assert!(WARDEN_KEY_ID_SIZE == warden::capacity::MAX_NAME + 1);

/// What a refused load was about, filled by `warden_engine_load_with_error` and
/// `warden_engine_load_verified_with_error` in memory the caller owns (no thread-local "last
/// error"). Declare one anywhere; it needs no initialisation and nothing in it needs freeing.
/// Read the fields that belong to `code`; every other field is 0 (and `key_id` empty).
/// `warden_load_error_message` renders the whole of it as one line of English.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct warden_load_error {
    /// The `warden_result` the call returned (`WARDEN_RESULT_OK` after a successful load).
    pub code: u32,
    /// `WARDEN_RESULT_CAPACITY_EXCEEDED`: which capacity of this build the policy exceeds, a
    /// `WARDEN_CAPACITY_*` value (its build variable is `WARDEN_MAX_<NAME>`).
    pub capacity: u32,
    /// `WARDEN_RESULT_CAPACITY_EXCEEDED`: entries the policy has in that table (what it
    /// needs); `WARDEN_RESULT_KEY_TOO_SHORT`: length of the secret given, in bytes;
    /// `WARDEN_RESULT_UNSUPPORTED_VERSION`: the format version of the blob.
    pub count: u32,
    /// `WARDEN_RESULT_CAPACITY_EXCEEDED`: this build's limit for that table;
    /// `WARDEN_RESULT_KEY_TOO_SHORT`: the shortest secret the key's algorithm allows;
    /// `WARDEN_RESULT_UNSUPPORTED_VERSION`: the format version this library reads.
    pub limit: u32,
    /// `WARDEN_RESULT_KEY_MISSING`, `WARDEN_RESULT_KEY_TOO_SHORT` and
    /// `WARDEN_RESULT_UNSUPPORTED_ALGORITHM`: the 0-based index of the policy's key (every JWK
    /// of a key set is a key of its own).
    pub key_index: u32,
    /// Length of `key_id` in bytes, without its NUL.
    pub key_id_len: u32,
    /// `WARDEN_RESULT_KEY_MISSING`, `WARDEN_RESULT_KEY_TOO_SHORT` and
    /// `WARDEN_RESULT_UNSUPPORTED_ALGORITHM`: the key's id (the JWT `kid`: the keyring must hold
    /// a secret for it, or the build must verify its algorithm), NUL-terminated.
    pub key_id: [c_char; WARDEN_KEY_ID_SIZE],
}

impl fmt::Debug for warden_load_error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("warden_load_error")
            .field("code", &self.code)
            .field("capacity", &self.capacity)
            .field("count", &self.count)
            .field("limit", &self.limit)
            .field("key_index", &self.key_index)
            .field("key_id", &core::str::from_utf8(self.key_id_bytes()).unwrap_or("?"))
            .finish()
    }
}

impl warden_load_error {
    /// `code` and nothing else.
    const fn of_code(code: warden_result) -> Self {
        Self {
            code: code as u32,
            capacity: 0,
            count: 0,
            limit: 0,
            key_index: 0,
            key_id_len: 0,
            key_id: [0; WARDEN_KEY_ID_SIZE],
        }
    }

    /// The details of a core load error; key ids are looked up in the blob, secret lengths in
    /// the keyring.
    fn of(e: LoadError, blob: &[u8], ring: &[KeyMaterial<'_>]) -> Self {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        let mut d = Self::of_code(warden_result::from(e));
        match e {
            LoadError::CapacityExceeded { what, count, limit } => {
                d.capacity = warden_capacity::of(what).map_or(0, |c| c as u32);
                d.count = n(count);
                d.limit = n(limit);
            }
            LoadError::KeyMissing { key } => {
                d.set_key(blob, key);
            }
            LoadError::KeyTooShort { key, min } => {
                let id = d.set_key(blob, key);
                d.count = n(ring.iter().find(|k| Some(k.id) == id).map_or(0, |k| k.secret.len()));
                d.limit = n(min);
            }
            LoadError::UnsupportedAlgorithm { key, .. } => {
                d.set_key(blob, key);
            }
            LoadError::UnsupportedVersion { found } => {
                d.count = u32::from(found);
                d.limit = u32::from(warden::blob::FORMAT_VERSION);
            }
            _ => {}
        }
        d
    }

    /// Records key number `index` and its id from the blob (which passed every check before
    /// the keyring was read, so it decodes); returns the id.
    fn set_key<'b>(&mut self, blob: &'b [u8], index: usize) -> Option<&'b str> {
        self.key_index = u32::try_from(index).unwrap_or(u32::MAX);
        // Only the id is read (not the whole body by value: most of an engine's size of stack).
        let id = warden::internal::key_id(blob, index)?;
        // Ids are at most MAX_NAME bytes (checked at load), so the NUL always fits.
        let dst = self.key_id.get_mut(..id.len()).filter(|_| id.len() < WARDEN_KEY_ID_SIZE)?;
        for (d, s) in dst.iter_mut().zip(id.bytes()) {
            *d = c_char::from_ne_bytes([s]);
        }
        self.key_id_len = u32::try_from(id.len()).unwrap_or(0);
        Some(id)
    }

    fn key_id_bytes(&self) -> &[u8] {
        let len = usize::try_from(self.key_id_len).unwrap_or(0).min(WARDEN_KEY_ID_SIZE - 1);
        let bytes = self.key_id.get(..len).unwrap_or(&[]);
        // SAFETY: c_char and u8 have the same size, alignment and validity (any bit pattern).
        unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast::<u8>(), bytes.len()) }
    }

    /// One line of English about the refusal: the capacity, what the policy needs and the
    /// limit; the key id; or the code's message.
    fn describe(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        let id = core::str::from_utf8(self.key_id_bytes()).unwrap_or("?");
        let (count, limit) = (self.count, self.limit);
        match warden_result::from_u32(self.code) {
            Some(warden_result::CapacityExceeded) => match warden_capacity::core_from_u32(self.capacity) {
                Some(what) => {
                    let (count, limit) =
                        (usize::try_from(count).unwrap_or(usize::MAX), usize::try_from(limit).unwrap_or(0));
                    write!(out, "{}", LoadError::CapacityExceeded { what, count, limit })
                }
                None => out.write_str(warden_result::CapacityExceeded.message()),
            },
            Some(warden_result::KeyMissing) => write!(
                out,
                "keyring has no secret for the policy's key \"{id}\" (key #{}): add it to the keyring",
                self.key_index
            ),
            Some(warden_result::KeyTooShort) => write!(
                out,
                "the secret for the policy's key \"{id}\" (key #{}) has {count} bytes, fewer than the {limit} its algorithm needs (RFC 7518 section 3.2)",
                self.key_index
            ),
            Some(warden_result::UnsupportedAlgorithm) => write!(
                out,
                "the policy's key \"{id}\" (key #{}) needs a public-key algorithm this build lacks: enable the core's feature for it (rsa, ecdsa or eddsa)",
                self.key_index
            ),
            Some(warden_result::UnsupportedVersion) => {
                write!(out, "compiled policy format version {count} is not supported (this library reads {limit})")
            }
            Some(code) => out.write_str(code.message()),
            None => out.write_str("not a warden_result code"),
        }
    }
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
/// When `error_out` is given (checked by the caller), a refusal by the core is described
/// there.
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
    error_out: Option<*mut warden_load_error>,
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
    let verify = match verify_key {
        // SAFETY: forwarded contract; read only during this call.
        Some((p, len)) => Some(unsafe { boundary::try_bytes(p, len, Empty::Refused)? }),
        None => None,
    };
    // The engine is made and loaded in the caller's memory itself (`Engine::empty_in`, then
    // `load_into`): no engine-sized value on the stack, which on a device may be smaller than
    // the engine. The marker stays cleared until the load has succeeded.
    // SAFETY: `slot` was checked by `load_prepare` (non-NULL, aligned, large enough, writable,
    // used by no one else per the contract); the engine field is written before it is read.
    let memory = unsafe { &mut *core::ptr::addr_of_mut!((*slot).engine).cast::<MaybeUninit<Engine<'static>>>() };
    let engine = Engine::empty_in(memory);
    let loaded = match verify {
        Some(v) => engine.load_verified_into(blob, ring, v),
        None => engine.load_into(blob, ring),
    };
    if let Err(e) = loaded {
        if let Some(out) = error_out {
            // SAFETY: checked by `load_reporting`.
            unsafe { boundary::write(out, warden_load_error::of(e, blob, ring)) };
        }
        return Err(e.into());
    }
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    // SAFETY: `slot` as above; the engine is initialised, so the slot now is, marker last.
    unsafe {
        core::ptr::addr_of_mut!((*slot).generation).write(generation);
        core::ptr::addr_of_mut!((*slot).magic).write(ENGINE_MAGIC);
    }
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

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::String;

    use super::*;

    #[test]
    fn an_unsupported_algorithm_names_the_key_by_index_and_id() {
        let blob = include_bytes!("../../policies/edge-api.wdn");
        let (_, body) = warden::blob::decode_body(blob).expect("example blob");
        let (index, key) = body.keys.iter().enumerate().find(|(_, k)| !k.alg.is_hmac()).expect("a public key");
        let e = warden_load_error::of(LoadError::UnsupportedAlgorithm { key: index, alg: key.alg }, blob, &[]);
        assert_eq!(e.code, warden_result::UnsupportedAlgorithm as u32);
        assert_eq!(usize::try_from(e.key_index).unwrap(), index);
        assert_eq!(e.key_id_bytes(), key.id.as_bytes());
        let mut text = String::new();
        e.describe(&mut text).unwrap();
        assert!(text.contains(&std::format!("key \"{}\" (key #{index})", key.id)), "{text}");
        assert!(text.contains("rsa, ecdsa or eddsa"), "{text}");
    }
}
