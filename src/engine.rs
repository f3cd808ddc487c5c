//! The engine: a loaded policy plus precomputed key state, and `evaluate`.

use crate::blob::BlobInfo;
use crate::decision::{Decision, Forbidden, Roles};
use crate::error::LoadError;
use crate::load::{self, Loaded};
pub use crate::load::KeyMaterial;
use crate::mac::MacKey;
use crate::policy::PolicyBody;
use crate::reason::ForbiddenReason;
use crate::request::Request;
use crate::capacity::MAX_KEYS;

/// Whether the compiled policy was signed, and whether the signature was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureState {
    /// No signature in the blob (loaded with [`Engine::load`]).
    Unsigned,
    /// Signed, but loaded without a verify key.
    SignedUnverified,
    /// Signed and verified by [`Engine::load_verified`].
    Verified,
}

/// A loaded policy, ready to decide requests. Immutable after load: it can be shared between
/// threads and evaluated concurrently.
#[derive(Debug)]
pub struct Engine<'a> {
    pub(crate) info: BlobInfo,
    pub(crate) policy: PolicyBody<'a>,
    pub(crate) macs: heapless::Vec<MacKey, MAX_KEYS>,
    pub(crate) max_iterations: u32,
    pub(crate) signature: SignatureState,
}

impl<'a> Engine<'a> {
    /// Loads a compiled policy (signed or not, signature not checked) with the keyring holding
    /// a secret for every `[[key]]` of the policy.
    ///
    /// # Errors
    /// A [`LoadError`] for a corrupt, foreign-version or over-capacity blob, or a keyring that
    /// lacks a key or holds one shorter than its algorithm allows.
    pub fn load(blob: &'a [u8], keyring: &[KeyMaterial<'_>]) -> Result<Self, LoadError> {
        let l = load::load(blob, keyring, None)?;
        let signature = if l.info.signed { SignatureState::SignedUnverified } else { SignatureState::Unsigned };
        Ok(Self::from_loaded(l, signature))
    }

    /// Like [`Engine::load`], but refuses a blob that is unsigned or not signed with
    /// `verify_key` (the bundle key given to `warden compile --sign-key`).
    ///
    /// # Errors
    /// As [`Engine::load`], plus [`LoadError::SignatureMissing`],
    /// [`LoadError::SignatureInvalid`] and [`LoadError::BundleKeyTooShort`].
    pub fn load_verified(blob: &'a [u8], keyring: &[KeyMaterial<'_>], verify_key: &[u8]) -> Result<Self, LoadError> {
        let l = load::load(blob, keyring, Some(verify_key))?;
        Ok(Self::from_loaded(l, SignatureState::Verified))
    }

    fn from_loaded(l: Loaded<'a>, signature: SignatureState) -> Self {
        Self { info: l.info, policy: l.policy, macs: l.macs, max_iterations: l.max_iterations, signature }
    }

    /// The compiled policy.
    #[must_use]
    pub const fn policy(&self) -> &PolicyBody<'a> {
        &self.policy
    }

    /// Header information of the compiled policy.
    #[must_use]
    pub const fn info(&self) -> &BlobInfo {
        &self.info
    }

    /// Signature state.
    #[must_use]
    pub const fn signature(&self) -> SignatureState {
        self.signature
    }

    /// Decides one request.
    pub fn evaluate<'s>(&'s self, request: &Request<'s>) -> Decision<'s> {
        let _ = request;
        Decision::Forbidden(Forbidden {
            reason: ForbiddenReason::NoMatchingRule,
            rule: None,
            subject: None,
            roles: Roles::NONE,
            challenge: None,
        })
    }
}
