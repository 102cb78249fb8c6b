//! SSH keys, sudoers entries, host name and cron entries.

use super::package::write_if_different;
use super::remote_file::{RemoteFile, remote_file};
use super::{Action, ActionError, RenderContext};
use stevedore::{Script, script};

/// An authorized SSH public key (Pallet's `ssh-key/authorize-key`).
#[derive(Debug, Clone)]
pub struct AuthorizeKey {
    user: String,
    key: String,
}

/// Appends `public_key` to `~user/.ssh/authorized_keys` when it is not there, creating `~/.ssh`
/// (mode 0700) and the file (mode 0600) owned by the user.
pub fn authorize_key(user: impl Into<String>, public_key: impl Into<String>) -> AuthorizeKey {
    AuthorizeKey { user: user.into(), key: public_key.into().trim().to_string() }
}

impl Action for AuthorizeKey {
    fn kind(&self) -> &'static str {
        "authorize_key"
    }

    fn describe(&self) -> String {
        let comment = self.key.split_whitespace().nth(2).unwrap_or("");
        format!("authorize_key {} {}", self.user, comment).trim_end().to_string()
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        if self.key.contains('\n') {
            return Err(ActionError::Invalid(format!("authorize_key {}: one key per action", self.user)));
        }
        let (user, key) = (&self.user, &self.key);
        let no_home = format!("authorize_key: user {user} has no home directory");
        let var = format!("u={user}");
        Ok(script! {
            p_home=$(awk -F: -v #var "$1 == u { print $6 }" /etc/passwd);
            if [ -z $p_home ] || [ ! -d $p_home ] { echo #no_home >&2; exit 1; }
            p_group=$(id -gn #user);
            if [ ! -d $p_home/.ssh ] { p_changed; p_checking || install -d -m 700 -o #user -g $p_group $p_home/.ssh; }
            if [ ! -e $p_home/.ssh/authorized_keys ] || ! grep -qxF -- #key $p_home/.ssh/authorized_keys {
                p_changed;
                if ! p_checking {
                    touch $p_home/.ssh/authorized_keys;
                    printf "%s\\n" #key >> $p_home/.ssh/authorized_keys;
                    chown #user:$p_group $p_home/.ssh/authorized_keys;
                    chmod 600 $p_home/.ssh/authorized_keys;
                }
            }
        })
    }
}

/// A sudoers file in `/etc/sudoers.d/` (Pallet's `sudoers`), checked with `visudo -c -f` before
/// it is installed: an entry that `visudo` rejects never replaces the file.
#[derive(Debug, Clone)]
pub struct Sudoers {
    file: RemoteFile,
    name: String,
}

/// `/etc/sudoers.d/NAME` holding `lines` (mode 0440, owner root), e.g.
/// `sudoers("deploy", ["deploy ALL=(ALL) NOPASSWD:ALL"])`.
pub fn sudoers<S: Into<String>>(name: impl Into<String>, lines: impl IntoIterator<Item = S>) -> Sudoers {
    let name = name.into();
    let mut content: String = lines.into_iter().map(|l| l.into() + "\n").collect();
    if content.is_empty() {
        content.push('\n');
    }
    let file = remote_file(format!("/etc/sudoers.d/{name}"))
        .content(content)
        .owner("root")
        .group("0")
        .mode(0o440)
        .backup(false)
        .overwrite_changes(true)
        .verify(script! { visudo -c -q -f $1; });
    Sudoers { file, name }
}

impl Action for Sudoers {
    fn kind(&self) -> &'static str {
        "sudoers"
    }

    fn describe(&self) -> String {
        format!("sudoers /etc/sudoers.d/{}", self.name)
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        if self.name.is_empty() || self.name.contains(['/', '.', '~']) {
            return Err(ActionError::Invalid(format!(
                "sudoers `{}`: the name must be a plain file name without `.` or `~` (sudo skips those)",
                self.name
            )));
        }
        let file = self.file.script(cx)?;
        Ok(script! { mkdir -p /etc/sudoers.d; #file; })
    }
}

/// The host name (`/etc/hostname` and the running name).
#[derive(Debug, Clone)]
pub struct Hostname {
    name: String,
}

/// Sets the host name to `name`.
pub fn hostname(name: impl Into<String>) -> Hostname {
    Hostname { name: name.into() }
}

impl Action for Hostname {
    fn kind(&self) -> &'static str {
        "hostname"
    }

    fn describe(&self) -> String {
        format!("hostname {}", self.name)
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        let name = &self.name;
        let file = write_if_different("/etc/hostname", format!("{name}\n").as_bytes(), "hostnamechanged");
        Ok(script! {
            #file;
            if [ $(hostname) != #name ] { p_changed; p_checking || hostname #name; }
        })
    }
}

/// A cron entry: `/etc/cron.d/pallet-NAME` with one system-crontab line.
#[derive(Debug, Clone)]
pub struct Cron {
    name: String,
    schedule: String,
    user: String,
    command: String,
}

/// Runs `command` as `user` on `schedule` (five cron fields, e.g. `"*/5 * * * *"`).
pub fn cron(
    name: impl Into<String>,
    schedule: impl Into<String>,
    user: impl Into<String>,
    command: impl Into<String>,
) -> Cron {
    Cron { name: name.into(), schedule: schedule.into(), user: user.into(), command: command.into() }
}

impl Action for Cron {
    fn kind(&self) -> &'static str {
        "cron"
    }

    fn describe(&self) -> String {
        format!("cron {} ({} as {})", self.name, self.schedule, self.user)
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        if self.schedule.split_whitespace().count() != 5 {
            return Err(ActionError::Invalid(format!("cron {}: the schedule needs five fields", self.name)));
        }
        if !self.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ActionError::Invalid(format!(
                "cron {}: the name may hold letters, digits, - and _",
                self.name
            )));
        }
        if self.command.contains('\n') {
            return Err(ActionError::Invalid(format!("cron {}: the command is one line", self.name)));
        }
        let line = format!("# managed by pallet\n{} {} {}\n", self.schedule, self.user, self.command);
        Ok(write_if_different(&format!("/etc/cron.d/pallet-{}", self.name), line.as_bytes(), "cronchanged"))
    }
}
