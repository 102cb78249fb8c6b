//! A password: configuration data that never shows.

use serde::Deserialize;

/// A password: deserialized from a string; `Debug` shows `Password(***)`; it implements no
/// `Serialize`, so a configuration holding one cannot be published or printed by accident.
/// It reaches nodes only inside files and scripts marked secret (masked in `plan`, check-mode
/// output and reports).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(p: impl Into<String>) -> Password {
        Password(p.into())
    }

    /// The password itself, to write it where it belongs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_masks_the_password() {
        assert_eq!(format!("{:?}", super::Password::new("hunter2")), "Password(***)");
    }
}
