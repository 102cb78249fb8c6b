//! `remote_file` and `remote_directory`: file content and archives, written atomically.

use super::fs::{Attrs, attr_builders};
use super::{Action, ActionError, RenderContext};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use stevedore::{Script, script};

/// Where a file's content comes from.
#[derive(Debug, Clone)]
enum Source {
    Content(Vec<u8>),
    LocalFile(PathBuf),
    Url { url: String, sha256: String },
    Template { text: String, values: BTreeMap<String, String> },
}

/// A file with managed content (Pallet's `remote-file`).
///
/// Every run: the new content is produced in a private temporary directory; when it differs
/// from the file (compared byte for byte) it is checked with `verify` (if given), the old file is
/// copied to `$P_STATE/backup/PATH.TIMESTAMP` (unless `backup(false)`), and the new one is staged
/// next to the target and moved into place with `mv` (atomic), its owner, group and mode
/// already set. Owner,
/// group and mode are then enforced even when the content did not change.
///
/// Pallet records the checksum of what it wrote in `$P_STATE/files/PATH.sha256`. If the file was
/// edited outside pallet since, the action fails rather than lose that edit, unless
/// `overwrite_changes(true)` (Pallet's `:overwrite-changes`). A failure anywhere leaves the old
/// file as it was.
#[derive(Debug, Clone)]
pub struct RemoteFile {
    path: String,
    source: Option<Source>,
    attrs: Attrs,
    backup: bool,
    overwrite_changes: bool,
    flag_on_changed: Option<String>,
    verify: Option<Script>,
    secret: bool,
}

/// A file at `path`; give its content with `.content()`, `.local_file()`, `.url()` or
/// `.template()`.
pub fn remote_file(path: impl Into<String>) -> RemoteFile {
    RemoteFile {
        path: path.into(),
        source: None,
        attrs: Attrs::default(),
        backup: true,
        overwrite_changes: false,
        flag_on_changed: None,
        verify: None,
        secret: false,
    }
}

attr_builders!(RemoteFile);

impl RemoteFile {
    /// The content, as given (any bytes).
    pub fn content(mut self, content: impl AsRef<[u8]>) -> Self {
        self.source = Some(Source::Content(content.as_ref().to_vec()));
        self
    }

    /// The content of a file on the controller, read when the phase is rendered.
    pub fn local_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(Source::LocalFile(path.into()));
        self
    }

    /// Downloaded on the node (curl or wget); the action fails unless its SHA-256 is `sha256`
    /// (hex). The download is skipped when the file already has that checksum.
    pub fn url(mut self, url: impl Into<String>, sha256: impl Into<String>) -> Self {
        self.source = Some(Source::Url { url: url.into(), sha256: sha256.into().to_lowercase() });
        self
    }

    /// `text` with each `{{name}}` replaced by `values[name]` (byte-exact; an unknown name is an
    /// error).
    pub fn template<K: Into<String>, V: Into<String>>(
        mut self,
        text: impl Into<String>,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.source = Some(Source::Template {
            text: text.into(),
            values: values.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        });
        self
    }

    /// Keep a copy of the replaced file (default: yes).
    pub fn backup(mut self, on: bool) -> Self {
        self.backup = on;
        self
    }

    /// Replace the file even if it was edited outside pallet (default: no, fail instead).
    pub fn overwrite_changes(mut self, on: bool) -> Self {
        self.overwrite_changes = on;
        self
    }

    /// Sets flag `flag` when the content changes (see `service(...).if_flag(...)`).
    pub fn flag_on_changed(mut self, flag: impl Into<String>) -> Self {
        self.flag_on_changed = Some(flag.into());
        self
    }

    /// Runs `check` with the new file as `$1` before it replaces the old one; a failure keeps
    /// the old file and fails the action.
    pub fn verify(mut self, check: Script) -> Self {
        self.verify = Some(check);
        self
    }

    /// The content is secret: it never appears in descriptions, dry runs or logs.
    pub fn secret(mut self, on: bool) -> Self {
        self.secret = on;
        self
    }

    fn content_bytes(&self) -> Result<Option<Vec<u8>>, ActionError> {
        Ok(match &self.source {
            Some(Source::Content(c)) => Some(c.clone()),
            Some(Source::LocalFile(p)) => Some(
                std::fs::read(p)
                    .map_err(|e| ActionError::LocalFile { path: p.display().to_string(), message: e.to_string() })?,
            ),
            Some(Source::Template { text, values }) => {
                Some(render_template(text, values).map_err(ActionError::Invalid)?.into_bytes())
            }
            Some(Source::Url { .. }) | None => None,
        })
    }
}

/// Replaces `{{ name }}` (spaces optional) by `values[name]`.
pub fn render_template(text: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| "template: `{{` without `}}`".to_string())?;
        let name = after[..end].trim();
        let v = values.get(name).ok_or_else(|| format!("template: no value for `{name}`"))?;
        out.push_str(v);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Base64 (standard alphabet, padded), for content that holds NUL bytes.
pub(crate) fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4 + data.len() / 57);
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

/// Writes `bytes` to the file named by shell variable `$p_new` (byte-exact).
fn produce(bytes: &[u8], redact: bool) -> Script {
    if redact {
        let placeholder = format!("<secret: {} bytes>", bytes.len());
        return script! { printf "%s" #placeholder > $p_new; };
    }
    let lines = write_lines(bytes);
    script! { { #lines; } > $p_new; }
}

/// `printf` commands that print `bytes` exactly, one command per line of content, so no quoted
/// word spans lines and the script stays readable and re-indentable. Content holding NUL bytes
/// is sent as base64 and decoded with `base64 -d`.
pub(crate) fn write_lines(bytes: &[u8]) -> Script {
    if bytes.contains(&0) {
        let b64 = base64(bytes);
        let lines: Vec<Script> = b64.lines().map(|l| script! { echo #l; }).collect();
        let lines = Script::join(&lines);
        return script! { { #lines; } | base64 -d; };
    }
    if bytes.is_empty() {
        return script! { :; };
    }
    let mut parts: Vec<Script> = Vec::new();
    let mut rest = bytes;
    while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
        let line = OsStr::from_bytes(&rest[..pos]);
        parts.push(script! { printf "%s\\n" #line; });
        rest = &rest[pos + 1..];
    }
    if !rest.is_empty() {
        let last = OsStr::from_bytes(rest);
        parts.push(script! { printf "%s" #last; });
    }
    Script::join(&parts)
}

impl Action for RemoteFile {
    fn kind(&self) -> &'static str {
        "remote_file"
    }

    fn describe(&self) -> String {
        let source = match &self.source {
            _ if self.secret => "secret content".to_string(),
            Some(Source::Content(c)) => format!("content, {} bytes", c.len()),
            Some(Source::LocalFile(p)) => format!("from {}", p.display()),
            Some(Source::Url { url, .. }) => format!("from {url}"),
            Some(Source::Template { .. }) => "template".to_string(),
            None => "no content".to_string(),
        };
        format!("remote_file {} ({source}){}", self.path, self.attrs_describe())
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        let path = &self.path;
        if !path.starts_with('/') {
            return Err(ActionError::Invalid(format!("remote_file {path}: the path must be absolute")));
        }
        let produce = match (&self.source, self.content_bytes()?) {
            (_, Some(bytes)) => produce(&bytes, cx.redact && self.secret),
            (Some(Source::Url { url, sha256 }), None) => {
                let mismatch = format!("remote_file {path}: checksum mismatch for {url}");
                script! {
                    if [ -e #path ] && [ $(sha256sum < #path | cut -d " " -f 1) = #sha256 ] {
                        cat -- #path > $p_new;
                    } else {
                        if command -v curl >/dev/null 2>&1 { curl -fsSL -o $p_new -- #url; }
                        else { wget -q -O $p_new -- #url; }
                        if [ $(sha256sum < $p_new | cut -d " " -f 1) != #sha256 ] { echo #mismatch >&2; exit 1; }
                    }
                }
            }
            (None, None) => return Err(ActionError::Invalid(format!("remote_file {path}: no content source"))),
            _ => unreachable!("sources without bytes are urls"),
        };
        let drift = format!(
            "remote_file {path}: the file was changed outside pallet since pallet wrote it; set overwrite_changes to replace it"
        );
        let verify_failed = format!("remote_file {path}: verify failed; the old file is kept");
        let verify = match &self.verify {
            Some(v) => script! { if ! ( set -- $p_new; #v; ) { echo #verify_failed >&2; exit 1; } },
            None => Script::new(),
        };
        let flag = match &self.flag_on_changed {
            Some(f) => script! { p_flag #f; },
            None => Script::new(),
        };
        let drift_check = if self.overwrite_changes {
            Script::new()
        } else {
            let note = format!(
                "note: {path} was edited outside pallet; applying would fail (set overwrite_changes to replace it)"
            );
            script! {
                if [ -e $p_dst ] && [ -e $p_rec ] && [ $(sha256sum < $p_dst | cut -d " " -f 1) != $(cat -- $p_rec) ] {
                    if p_checking { echo #note; } else { echo #drift >&2; exit 1; }
                }
            }
        };
        let backup = if self.backup {
            script! {
                p_bak=$P_STATE/backup$p_dst.$(date -u +%Y%m%dT%H%M%SZ);
                mkdir -p -- $(dirname -- $p_bak);
                cp -p -- $p_dst $p_bak;
            }
        } else {
            Script::new()
        };
        let default_mode = "644";
        let new_attrs = new_file_attrs(&self.attrs);
        let attrs = self.attrs_script();
        Ok(script! {
            p_dst=#path;
            p_dir=$(dirname -- $p_dst);
            if [ ! -d $p_dir ] { echo "remote_file: directory does not exist:" $p_dir >&2; exit 1; }
            p_rec=$P_STATE/files$p_dst.sha256;
            p_new=$P_T/new;
            #produce;
            if [ -e $p_dst ] && cmp -s -- $p_new $p_dst {
                rm -f -- $p_new;
                if [ ! -e $p_rec ] && ! p_checking { mkdir -p -- $(dirname -- $p_rec); sha256sum < $p_dst | cut -d " " -f 1 > $p_rec; }
            } else {
                #drift_check;
                p_changed;
                #flag;
                if p_checking {
                    if [ -e $p_dst ] { diff -u -- $p_dst $p_new || true; } else { echo "new file" $p_dst; }
                    rm -f -- $p_new;
                } else {
                    #verify;
                    /// Staged next to the target so the final `mv` is atomic; the directory is
                    /// only touched when the content changes.
                    p_stage=$(mktemp $p_dir/.pallet.XXXXXXXX);
                    trap "rm -f \"$p_stage\"" EXIT;
                    cat -- $p_new > $p_stage;
                    p_new=$p_stage;
                    if [ -e $p_dst ] {
                        #backup;
                        chmod $(stat -c "%a" -- $p_dst) $p_new;
                        chown $(stat -c "%u:%g" -- $p_dst) $p_new;
                    } else {
                        chmod #default_mode $p_new;
                    }
                    #new_attrs;
                    mv -f -- $p_new $p_dst;
                    mkdir -p -- $(dirname -- $p_rec);
                    sha256sum < $p_dst | cut -d " " -f 1 > $p_rec;
                }
            }
            if [ -e $p_dst ] { #attrs; }
        })
    }
}

impl RemoteFile {
    fn attrs_describe(&self) -> String {
        let mut s = String::new();
        if let Some(o) = &self.attrs.owner {
            s.push_str(&format!(" owner {o}"));
        }
        if let Some(g) = &self.attrs.group {
            s.push_str(&format!(" group {g}"));
        }
        if let Some(m) = self.attrs.mode {
            s.push_str(&format!(" mode {m:04o}"));
        }
        s
    }

    fn attrs_script(&self) -> Script {
        super::ensure_attributes(
            &self.path,
            self.attrs.owner.as_deref(),
            self.attrs.group.as_deref(),
            self.attrs.mode,
            false,
        )
    }
}

/// Owner, group and mode set on the new file before it is moved into place.
fn new_file_attrs(a: &Attrs) -> Script {
    let mut s = Script::new();
    if let Some(o) = &a.owner {
        s.push(&script! { chown #o $p_new; });
    }
    if let Some(g) = &a.group {
        s.push(&script! { chgrp #g $p_new; });
    }
    if let Some(m) = a.mode {
        let m = format!("{m:o}");
        s.push(&script! { chmod #m $p_new; });
    }
    s
}

/// An archive unpacked into a directory (Pallet's `remote-directory`).
///
/// The archive (tar, optionally compressed, or zip) comes from a URL (checked against its
/// SHA-256) or a local file. It is unpacked only when its checksum differs from the one recorded
/// at the last unpack (`$P_STATE/dirs/PATH.sha256`) or the directory is missing.
#[derive(Debug, Clone)]
pub struct RemoteDirectory {
    path: String,
    source: Option<ArchiveSource>,
    strip_components: u32,
    zip: bool,
    attrs: Attrs,
}

#[derive(Debug, Clone)]
enum ArchiveSource {
    Url { url: String, sha256: String },
    LocalFile(PathBuf),
}

/// A directory at `path` filled from an archive: `.url()` or `.local_file()`.
pub fn remote_directory(path: impl Into<String>) -> RemoteDirectory {
    RemoteDirectory { path: path.into(), source: None, strip_components: 0, zip: false, attrs: Attrs::default() }
}

attr_builders!(RemoteDirectory);

impl RemoteDirectory {
    /// Downloads the archive on the node; it must have SHA-256 `sha256` (hex).
    pub fn url(mut self, url: impl Into<String>, sha256: impl Into<String>) -> Self {
        self.source = Some(ArchiveSource::Url { url: url.into(), sha256: sha256.into().to_lowercase() });
        self
    }

    /// Sends an archive from the controller.
    pub fn local_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(ArchiveSource::LocalFile(path.into()));
        self
    }

    /// Drops this many leading path components when unpacking (tar only).
    pub fn strip_components(mut self, n: u32) -> Self {
        self.strip_components = n;
        self
    }

    /// The archive is a zip file (unpacked with `unzip`), not a tar file.
    pub fn zip(mut self, on: bool) -> Self {
        self.zip = on;
        self
    }
}

impl Action for RemoteDirectory {
    fn kind(&self) -> &'static str {
        "remote_directory"
    }

    fn describe(&self) -> String {
        let from = match &self.source {
            Some(ArchiveSource::Url { url, .. }) => url.clone(),
            Some(ArchiveSource::LocalFile(p)) => p.display().to_string(),
            None => "nothing".into(),
        };
        format!("remote_directory {} from {from}", self.path)
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        let path = &self.path;
        if self.zip && self.strip_components > 0 {
            return Err(ActionError::Invalid(format!("remote_directory {path}: strip_components needs a tar archive")));
        }
        let (fetch, sha) = match &self.source {
            Some(ArchiveSource::Url { url, sha256 }) => {
                let mismatch = format!("remote_directory {path}: checksum mismatch for {url}");
                (
                    script! {
                        if command -v curl >/dev/null 2>&1 { curl -fsSL -o $P_T/archive -- #url; }
                        else { wget -q -O $P_T/archive -- #url; }
                        if [ $(sha256sum < $P_T/archive | cut -d " " -f 1) != #sha256 ] { echo #mismatch >&2; exit 1; }
                    },
                    sha256.clone(),
                )
            }
            Some(ArchiveSource::LocalFile(p)) => {
                let bytes = std::fs::read(p)
                    .map_err(|e| ActionError::LocalFile { path: p.display().to_string(), message: e.to_string() })?;
                let sha = sha256_hex(&bytes);
                let b64 = if cx.redact { String::from("<archive>") } else { base64(&bytes) };
                (script! { printf "%s\\n" #b64 | base64 -d > $P_T/archive; }, sha)
            }
            None => return Err(ActionError::Invalid(format!("remote_directory {path}: no archive source"))),
        };
        let unpack = if self.zip {
            script! { unzip -q -o $P_T/archive -d #path; }
        } else {
            let strip = (self.strip_components > 0).then(|| format!("--strip-components={}", self.strip_components));
            script! { tar -x -f $P_T/archive -C #path #strip; }
        };
        let attrs =
            super::ensure_attributes(path, self.attrs.owner.as_deref(), self.attrs.group.as_deref(), None, true);
        Ok(script! {
            p_rec=$P_STATE/"dirs"#path.sha256;
            if [ ! -d #path ] || [ ! -e $p_rec ] || [ $(cat -- $p_rec) != #sha ] {
                p_changed;
                if ! p_checking {
                    #fetch;
                    mkdir -p -- #path;
                    #unpack;
                    mkdir -p -- $(dirname -- $p_rec);
                    echo #sha > $p_rec;
                }
            }
            if [ -d #path ] { #attrs; }
        })
    }
}

/// SHA-256 of `data` in lowercase hex (FIPS 180-4), for archives sent from the controller.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [t1.wrapping_add(t2), v[0], v[1], v[2], v[3].wrapping_add(t1), v[4], v[5], v[6]];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_base64_known_answers() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M\0"), "TQA=");
    }

    #[test]
    fn templates() {
        let v: BTreeMap<String, String> = [("name".to_string(), "$x 'y'".to_string())].into();
        assert_eq!(render_template("a {{name}} b {{ name }}", &v).unwrap(), "a $x 'y' b $x 'y'");
        assert!(render_template("{{other}}", &v).is_err());
    }
}
