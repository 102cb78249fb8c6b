//! The core library of script functions (Pallet's `pallet.script.lib`).
