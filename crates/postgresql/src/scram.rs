//! SCRAM-SHA-256 verifiers as PostgreSQL stores them (`pg_authid.rolpassword`), computed on the
//! controller so the plain password never reaches the node.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// PostgreSQL's iteration count (`scram_iterations` default).
pub const ITERATIONS: u32 = 4096;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA-256 with one block of output (RFC 8018), SCRAM's `Hi()`.
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut u = hmac(password, &[salt, &1u32.to_be_bytes()]);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &[&u]);
        for (o, b) in out.iter_mut().zip(u) {
            *o ^= b;
        }
    }
    out
}

/// The verifier `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802, RFC
/// 7677) for `password` with `salt`. Passwords are used as their bytes: PostgreSQL's SASLprep
/// leaves printable ASCII unchanged, which is what this crate accepts.
pub fn verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = hi(password.as_bytes(), salt, iterations);
    let client_key = hmac(&salted, &[b"Client Key"]);
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, &[b"Server Key"]);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    format!("SCRAM-SHA-256${iterations}:{}${}:{}", b64(salt), b64(&stored_key), b64(&server_key))
}

/// The verifier for `role`'s `password` with a salt derived from both (HMAC-SHA-256 of the
/// role name keyed by the password, first 16 bytes): the same inputs give the same verifier, so
/// pallet can tell whether the stored password is already the configured one without keeping
/// any state; different roles or passwords give different salts.
pub fn role_verifier(role: &str, password: &str) -> String {
    let salt = hmac(password.as_bytes(), &[b"pallet-postgresql salt\0", role.as_bytes()]);
    verifier(password, &salt[..16], ITERATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_verifier_postgresql_15_made() {
        // `CREATE ROLE vt LOGIN PASSWORD 'pencil'` on PostgreSQL 15 (Debian 12), then
        // `SELECT rolpassword FROM pg_authid WHERE rolname = 'vt'`.
        let pg = "SCRAM-SHA-256$4096:ns8bW3Df+Qasexcv8eOA6g==$tke+Vld1tHSGQ5Pcfg2mfn+a0l5GG7Z1htpgr+r6INc=:pMDD4EkaImnvl9WoeT3t9Jaak0yYBZf8qRNT6iVqezg=";
        let salt = base64::engine::general_purpose::STANDARD.decode("ns8bW3Df+Qasexcv8eOA6g==").unwrap();
        assert_eq!(verifier("pencil", &salt, 4096), pg);
    }

    #[test]
    fn role_verifiers_are_stable_and_distinct() {
        assert_eq!(role_verifier("app", "pw"), role_verifier("app", "pw"));
        assert_ne!(role_verifier("app", "pw"), role_verifier("app2", "pw"));
        assert_ne!(role_verifier("app", "pw"), role_verifier("app", "pw2"));
        assert!(!role_verifier("app", "correct-horse").contains("correct-horse"));
    }
}
