//! `automated_admin_user` (Pallet's `automated-admin-user` crate): sudo, the admin user with a
//! home and a shell, its SSH key, and a NOPASSWD sudoers entry checked by visudo.

use crate::action::{PackageManager, authorize_key, package, package_manager, sudoers, user};
use crate::plan::Plan;

/// Creates the operation's admin user on the node: installs sudo, creates the user (home,
/// `/bin/bash` when present, else `/bin/sh`), authorizes its public key, and gives it
/// passwordless sudo in `/etc/sudoers.d/pallet-admin` (checked with `visudo -c -f` first).
/// Run it in `bootstrap`, which logs in as the image's user; later phases then log in as the
/// admin user. Fails the plan when the operation has no admin user or public key.
pub fn automated_admin_user(ctx: &mut Plan<'_>) {
    let Some(admin) = ctx.admin_user().cloned() else {
        ctx.fail("automated_admin_user: the operation has no admin user");
        return;
    };
    if admin.username == "root" {
        // Root logs in with the key the image already has; nothing to create.
        return;
    }
    let Some(key) = admin.public_key.clone() else {
        ctx.fail(format!("automated_admin_user: no public key for {} (set the admin user's key)", admin.username));
        return;
    };
    ctx.add(package("sudo"));
    ctx.add(user(&admin.username).create_home(true).home(format!("/home/{}", admin.username)).shell("/bin/sh"));
    ctx.add(authorize_key(&admin.username, key));
    ctx.add(sudoers("pallet-admin", [format!("{} ALL=(ALL) NOPASSWD:ALL", admin.username)]));
}

/// The default bootstrap: refresh the package index, then [`automated_admin_user`] (Pallet's
/// `with-automated-admin-user`).
pub fn bootstrap(ctx: &mut Plan<'_>) {
    ctx.add(package_manager(PackageManager::Update));
    automated_admin_user(ctx);
}
