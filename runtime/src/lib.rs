//! The pallet runtime: specs, plans, actions, phase scripts, transports, compute services and
//! the phase runner behind `lift` and `converge`. Use it through the `pallet` crate; the
//! command line lives in `pallet-cli`.
#![warn(missing_docs)]

/// A boxed future, for object-safe async traits ([`compute::ComputeService`],
/// [`transport::Transport`]).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

pub mod action;
pub mod compute;
pub mod converge;
pub mod dry_run;
pub mod facts;
pub mod library;
pub mod lift;
pub mod node;
pub mod operation;
pub mod plan;
pub mod render;
pub mod report;
pub mod spec;
pub mod suggest;
pub mod transport;

/// Defines plan functions: `plan_fn! { pub fn name(ctx) { package("nginx"); ... } }`. See
/// [`plan`] and the `pallet` crate docs.
#[macro_export]
macro_rules! plan_fn {
    ($($body:tt)*) => { $crate::__private::plan_fn_impl!{ ($crate) $($body)* } };
}

/// Builds a [`spec::NodeSpec`] from Pallet-style options, checked at compile time.
#[macro_export]
macro_rules! node_spec {
    ($($body:tt)*) => { $crate::__private::node_spec_impl!{ ($crate) $($body)* } };
}

/// Builds a [`spec::ServerSpec`] from Pallet-style options, checked at compile time.
#[macro_export]
macro_rules! server_spec {
    ($($body:tt)*) => { $crate::__private::server_spec_impl!{ ($crate) $($body)* } };
}

/// Builds a [`spec::GroupSpec`] from Pallet-style options, checked at compile time.
#[macro_export]
macro_rules! group_spec {
    ($($body:tt)*) => { $crate::__private::group_spec_impl!{ ($crate) $($body)* } };
}

/// Builds a [`spec::ClusterSpec`] from Pallet-style options, checked at compile time.
#[macro_export]
macro_rules! cluster_spec {
    ($($body:tt)*) => { $crate::__private::cluster_spec_impl!{ ($crate) $($body)* } };
}

#[doc(hidden)]
pub mod __private {
    pub use pallet_macros::{cluster_spec_impl, group_spec_impl, node_spec_impl, plan_fn_impl, server_spec_impl};
    pub use stevedore;
    pub use stevedore::os::{Family, Packager};
}
