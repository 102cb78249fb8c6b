//! Compile tests live in `tests/ui.rs`, with the cases in `pass/` and `fail/`.
