//! Test machinery of pallet's plan crates (`crates/*`): not published.
//!
//! - [`Lab`]: real podman containers from the base image `scripts/build-base-image.sh` builds,
//!   converged through the public API, with the three runs every plan crate proves: the first
//!   converge changes the node, the second changes nothing, and check mode reports no change.
//!   Containers are labelled by group and removed when the lab is dropped.
//! - [`render`]: plans rendered for every OS of `pallet_testkit::os::ALL`: the OSes a crate
//!   claims must plan and pass the shell gate, the others must be refused by name.
//!
//! Container tests skip (saying so) when not root or without podman and mmdebstrap, and fail
//! instead under `CI=true` (`pallet_testkit::required`).

pub mod lab;
pub mod render;

pub use lab::Lab;
pub use render::{assert_os_support, plan_text};
