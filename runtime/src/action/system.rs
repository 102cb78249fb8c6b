//! SSH keys, sudoers entries, host name and cron entries.

use super::package::write_if_different;
use super::remote_file::{RemoteFile, remote_file};
use super::{Action, ActionError, RenderContext, check};
use stevedore::names;
use stevedore::{Script, script};

/// An authorized SSH public key (Pallet's `ssh-key/authorize-key`).
#[derive(Debug, Clone)]
pub struct AuthorizeKey {
    user: String,
    key: String,
}

/// Appends `public_key` to `~user/.ssh/authorized_keys` when it is not there, creating `~/.ssh`
/// (mode 0700) and the file (mode 0600) owned by the user. `user` is a user name
/// ([`stevedore::names::user_name`]); the key is one non-empty line (no newline, carriage return
/// or NUL: one key per action).
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

    fn validate(&self) -> Result<(), ActionError> {
        check("authorize_key", "user", names::user_name(&self.user))?;
        check("authorize_key", "public_key", names::line(&self.key))?;
        if self.key.is_empty() {
            return Err(ActionError::Invalid(format!("authorize_key {}: public_key: the key is empty", self.user)));
        }
        Ok(())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
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
    lines: Vec<String>,
}

/// `/etc/sudoers.d/NAME` holding `lines` (mode 0440, owner root), e.g.
/// `sudoers("deploy", ["deploy ALL=(ALL) NOPASSWD:ALL"])`. `NAME` is a plain file name without
/// `.` (sudo skips files with a `.` or a trailing `~`): `[A-Za-z0-9_][A-Za-z0-9_-]*`; each line
/// holds no newline, carriage return or NUL (one sudoers line per item).
pub fn sudoers<S: Into<String>>(name: impl Into<String>, lines: impl IntoIterator<Item = S>) -> Sudoers {
    let name = name.into();
    let lines: Vec<String> = lines.into_iter().map(Into::into).collect();
    let mut content: String = lines.iter().map(|l| format!("{l}\n")).collect();
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
    Sudoers { file, name, lines }
}

impl Action for Sudoers {
    fn kind(&self) -> &'static str {
        "sudoers"
    }

    fn describe(&self) -> String {
        format!("sudoers /etc/sudoers.d/{}", self.name)
    }

    fn validate(&self) -> Result<(), ActionError> {
        check("sudoers", "name", names::file_name(&self.name))?;
        if self.name.contains(['.', '~']) {
            return Err(ActionError::Invalid(format!(
                "sudoers: name: {:?} holds `.` or `~`, and sudo skips such files",
                self.name
            )));
        }
        for l in &self.lines {
            check("sudoers", "lines", names::line(l))?;
        }
        Ok(())
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let file = self.file.script(cx)?;
        Ok(script! { mkdir -p /etc/sudoers.d; #file; })
    }
}

/// The host name (`/etc/hostname` and the running name).
#[derive(Debug, Clone)]
pub struct Hostname {
    name: String,
}

/// Sets the host name to `name` (RFC 1123, [`stevedore::names::hostname`]).
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

    fn validate(&self) -> Result<(), ActionError> {
        check("hostname", "name", names::hostname(&self.name))
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
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

/// Runs `command` as `user` on `schedule` (five cron fields, e.g. `"*/5 * * * *"`, or a special
/// such as `"@reboot"`: [`stevedore::names::cron_schedule`]). `name` holds letters, digits, `-`
/// and `_` ([`stevedore::names::cron_file_name`]); `user` is a user name; `command` is one non-empty line of shell that cron runs with
/// `sh` (no newline, carriage return or NUL; as in any crontab, an unescaped `%` in it is a
/// newline and starts the command's standard input).
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

    fn validate(&self) -> Result<(), ActionError> {
        check("cron", "name", names::cron_file_name(&self.name))?;
        check("cron", "schedule", names::cron_schedule(&self.schedule))?;
        check("cron", "user", names::user_name(&self.user))?;
        check("cron", "command", names::line(&self.command))?;
        if self.command.trim().is_empty() {
            return Err(ActionError::Invalid(format!("cron {}: command: the command is empty", self.name)));
        }
        Ok(())
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        self.validate()?;
        let line = format!("# managed by pallet\n{} {} {}\n", self.schedule, self.user, self.command);
        Ok(write_if_different(&format!("/etc/cron.d/pallet-{}", self.name), line.as_bytes(), "cronchanged"))
    }
}
