//! `remote_file` and `remote_directory`: file content and archives, written atomically.

use super::fs::{Attrs, attr_builders};
use super::{Action, ActionError, RenderContext, check, check_flag};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;
use stevedore::functions::{download, sha256};
use stevedore::names;
use stevedore::{Script, ShellVar, script};

/// Where a file's content comes from.
#[derive(Debug, Clone)]
enum Source {
    Content(Arc<[u8]>),
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

/// A file at `path` (absolute); give its content with `.content()`, `.local_file()`, `.url()` or
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
        self.source = Some(Source::Content(Arc::from(content.as_ref())));
        self
    }

    /// The content of a file on the controller, read when the phase is rendered.
    pub fn local_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(Source::LocalFile(path.into()));
        self
    }

    /// Downloaded on the node (`stevedore::functions::download`: curl or wget); the action fails
    /// unless its SHA-256 is `sha256` (64 hex digits). The download is skipped when the file
    /// already has that checksum. The URL follows [`stevedore::names::url`].
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

    /// The content is secret: it never appears in descriptions, dry runs, logs or check mode's
    /// output (which says the secret would change instead of showing a diff).
    pub fn secret(mut self, on: bool) -> Self {
        self.secret = on;
        self
    }

    fn content_bytes(&self) -> Result<Option<Arc<[u8]>>, ActionError> {
        Ok(match &self.source {
            Some(Source::Content(c)) => Some(c.clone()),
            Some(Source::LocalFile(p)) => Some(
                read_shared(p)
                    .map_err(|e| ActionError::LocalFile { path: p.display().to_string(), message: e.to_string() })?,
            ),
            Some(Source::Template { text, values }) => {
                Some(Arc::from(render_template(text, values).map_err(ActionError::Invalid)?.into_bytes()))
            }
            Some(Source::Url { .. }) | None => None,
        })
    }
}

/// The content of local file `path`, shared by every node's phase that sends it at the same time:
/// one copy in memory however many nodes receive it (the copy goes when the last phase is done).
/// A file that changed on disk (length or modification time) is read again.
fn read_shared(path: &std::path::Path) -> std::io::Result<Arc<[u8]>> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, Weak};
    type Key = (PathBuf, u64, Option<std::time::SystemTime>);
    static SHARED: OnceLock<Mutex<HashMap<Key, Weak<[u8]>>>> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let cache = SHARED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(bytes) = map.get(&key).and_then(Weak::upgrade) {
        return Ok(bytes);
    }
    let bytes: Arc<[u8]> = Arc::from(std::fs::read(path)?);
    map.retain(|_, w| w.strong_count() > 0);
    map.insert(key, Arc::downgrade(&bytes));
    Ok(bytes)
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

/// Base64 (standard alphabet, padded; the `base64` crate) in lines of 76 characters, as
/// `base64 -d` reads it, for content that holds NUL bytes.
pub(crate) fn base64(data: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let lines: Vec<&str> =
        text.as_bytes().chunks(76).map(|l| std::str::from_utf8(l).expect("base64 is ASCII")).collect();
    lines.join("\n")
}

/// Writes `bytes` to the file named by shell variable `$p_new`, byte-exact, from the phase's
/// payload (so the content is never in the script text). Secret content is marked so in the
/// payload ([`crate::render::Payload::redacted`]).
fn produce(bytes: Arc<[u8]>, secret: bool, cx: &RenderContext<'_>) -> Script {
    let data = if secret { cx.secret_data(bytes) } else { cx.data(bytes) };
    script! { #data > $p_new; }
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

    fn validate(&self) -> Result<(), ActionError> {
        check("remote_file", "path", names::file_path(&self.path))?;
        self.attrs.validate("remote_file")?;
        check_flag("remote_file", "flag_on_changed", self.flag_on_changed.as_deref())?;
        if let Some(Source::Url { url, sha256 }) = &self.source {
            check("remote_file", "url", names::url(url))?;
            check("remote_file", "sha256", names::sha256(sha256))?;
        }
        Ok(())
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let path = &self.path;
        let produce = match (&self.source, self.content_bytes()?) {
            (_, Some(bytes)) => produce(bytes, self.secret, cx),
            (Some(Source::Url { url, sha256: want }), None) => {
                let mismatch = format!("remote_file {path}: checksum mismatch for {url}");
                let new = ShellVar::new("p_new");
                script! {
                    if [ -e #path ] && [ $(#(sha256(path.as_str()))) = #want ] {
                        cat -- #path > $p_new;
                    } else {
                        #(download(url, &new));
                        if [ $(#(sha256(&new))) != #want ] { echo #mismatch >&2; exit 1; }
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
        let dst = ShellVar::new("p_dst");
        let drift_check = if self.overwrite_changes {
            Script::new()
        } else {
            let note = format!(
                "note: {path} was edited outside pallet; applying would fail (set overwrite_changes to replace it)"
            );
            script! {
                if [ -e $p_dst ] && [ -e $p_rec ] && [ $(#(sha256(&dst))) != $(cat -- $p_rec) ] {
                    if p_checking { echo #note; } else { echo #drift >&2; exit 1; }
                }
            }
        };
        // Check mode shows what would change: a diff, except for secret content, which only
        // says so (a diff would print the old and the new secret).
        let show_change = if self.secret {
            let note = format!("{path}: secret content would change (not shown)");
            script! { echo #note; }
        } else {
            script! { if [ -e $p_dst ] { diff -u -- $p_dst $p_new || true; } else { echo "new file" $p_dst; } }
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
        // A secret file is never world-readable: without an explicit mode it is written 0600.
        let default_mode = if self.secret { "600" } else { "644" };
        let new_attrs = new_file_attrs(&self.attrs);
        let attrs = self.attrs_script();
        // The path is absolute and checked (`validate`): its directory is known here.
        let dir =
            std::path::Path::new(path.as_str()).parent().map_or_else(|| "/".to_string(), |d| d.display().to_string());
        Ok(script! {
            p_dst=#path;
            p_dir=#dir;
            if [ ! -d $p_dir ] { echo "remote_file: directory does not exist:" $p_dir >&2; exit 1; }
            p_rec=$P_STATE/files$p_dst.sha256;
            p_new=$P_T/new;
            #produce;
            if [ -e $p_dst ] && cmp -s -- $p_new $p_dst {
                if [ ! -e $p_rec ] && ! p_checking { mkdir -p -- $(dirname -- $p_rec); #(sha256(&dst)) > $p_rec; }
            } else {
                #drift_check;
                p_changed;
                #flag;
                if p_checking {
                    #show_change;
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
                    #(sha256(&dst)) > $p_rec;
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

/// A directory at `path` (absolute) filled from an archive: `.url()` or `.local_file()`.
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

    fn validate(&self) -> Result<(), ActionError> {
        check("remote_directory", "path", names::absolute_path(&self.path))?;
        self.attrs.validate("remote_directory")?;
        if let Some(ArchiveSource::Url { url, sha256 }) = &self.source {
            check("remote_directory", "url", names::url(url))?;
            check("remote_directory", "sha256", names::sha256(sha256))?;
        }
        if self.zip && self.strip_components > 0 {
            return Err(ActionError::Invalid(format!(
                "remote_directory {}: strip_components needs a tar archive",
                self.path
            )));
        }
        Ok(())
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let path = &self.path;
        let archive = ShellVar::new("p_archive");
        let (fetch, sha) = match &self.source {
            Some(ArchiveSource::Url { url, sha256: want }) => {
                let mismatch = format!("remote_directory {path}: checksum mismatch for {url}");
                (
                    script! {
                        #(download(url, &archive));
                        if [ $(#(sha256(&archive))) != #want ] { echo #mismatch >&2; exit 1; }
                    },
                    want.clone(),
                )
            }
            Some(ArchiveSource::LocalFile(p)) => {
                let bytes = std::fs::read(p)
                    .map_err(|e| ActionError::LocalFile { path: p.display().to_string(), message: e.to_string() })?;
                let sha = sha256_hex(&bytes);
                let data = cx.data(Arc::from(bytes));
                (script! { #data > #archive; }, sha)
            }
            None => return Err(ActionError::Invalid(format!("remote_directory {path}: no archive source"))),
        };
        let unpack = if self.zip {
            script! { unzip -q -o #archive -d #path; }
        } else {
            let strip = (self.strip_components > 0).then(|| format!("--strip-components={}", self.strip_components));
            // `cd`, not `tar -C`: GNU tar unquotes the argument of `-C` (`\t`, `\057`), so a path
            // holding a backslash would name another directory.
            script! { ( cd -- #path && tar -x -f #archive #strip; ); }
        };
        let attrs =
            super::ensure_attributes(path, self.attrs.owner.as_deref(), self.attrs.group.as_deref(), None, true);
        Ok(script! {
            p_rec=$P_STATE/"dirs"#path.sha256;
            if [ ! -d #path ] || [ ! -e $p_rec ] || [ $(cat -- $p_rec) != #sha ] {
                p_changed;
                if ! p_checking {
                    p_archive=$P_T/archive;
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

/// SHA-256 of `data` in lowercase hex, for archives sent from the controller (`sha2`).
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
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
        // 57 bytes make one line of 76 characters, as `base64` and the hand-written encoder wrote.
        let long = base64(&[0xff; 58]);
        assert_eq!(long.lines().map(str::len).collect::<Vec<_>>(), [76, 4]);
        assert_eq!(&long[..4], "////");
    }

    #[test]
    fn templates() {
        let v: BTreeMap<String, String> = [("name".to_string(), "$x 'y'".to_string())].into();
        assert_eq!(render_template("a {{name}} b {{ name }}", &v).unwrap(), "a $x 'y' b $x 'y'");
        assert!(render_template("{{other}}", &v).is_err());
    }
}
