//! Library plan functions (Pallet's in-core crates): the admin user every node gets at
//! bootstrap.

pub mod admin_user;

pub use admin_user::{automated_admin_user, bootstrap};
