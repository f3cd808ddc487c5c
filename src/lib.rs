#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    clippy::string_slice,
    clippy::unreachable
)]

// Unit tests may use std; the library itself never does.
#[cfg(test)]
extern crate std;

pub mod blob;
pub mod capacity;
mod ct;
pub mod decision;
mod engine;
mod error;
mod ip;
mod load;
mod mac;
pub mod origin;
pub mod path;
pub mod policy;
mod reason;
mod request;

pub use decision::{Decision, Roles, Subject};
pub use engine::{Engine, KeyMaterial, SignatureState};
pub use error::{Capacity, EncodeError, Invalid, LoadError};
pub use reason::{AllowReason, ForbiddenReason, Reason, UnauthorizedReason};
pub use request::{Header, Request};
