//! Passes that need nothing beyond the IR itself.

pub mod dce;

use crate::pass::PassInfo;

/// The passes this crate provides.
pub fn registry() -> Vec<PassInfo> {
    vec![dce::INFO]
}
