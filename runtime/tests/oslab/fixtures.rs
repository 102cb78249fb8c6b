//! The lab's test packages, built once per run in a container of the `pkg` image: rpm packages
//! with rpmbuild (as root) and pacman packages with makepkg (as the non-root user `builder`,
//! under fakeroot). Each package installs `/opt/NAME/version`, holding its version.
//!
//! | package | versions | lives in |
//! |---|---|---|
//! | `pallet-hello` | 1.0, 1.1 | the node's repository (1.1 added during a case, for upgrades) |
//! | `pallet-extra` | 1.0 | a second repository, added by `package_source` |

use crate::lab;
use std::path::PathBuf;
use std::process::Command;

const BUILD: &str = r#"set -eu
mkdir -p /out/rpm /out/pacman
rpm_package() {
  top=/tmp/rpmbuild-$1-$2
  mkdir -p "$top/SPECS"
  cat >"$top/SPECS/$1.spec" <<SPEC
Name: $1
Version: $2
Release: 1
Summary: A test package of the pallet OS lab
License: MIT
BuildArch: noarch
AutoReqProv: no
%description
Installs /opt/$1/version.
%install
mkdir -p %{buildroot}/opt/$1 && echo $2 >%{buildroot}/opt/$1/version
%files
/opt/$1/version
SPEC
  rpmbuild --quiet --define "_topdir $top" -bb "$top/SPECS/$1.spec"
  cp "$top/RPMS/noarch/$1-$2-1.noarch.rpm" /out/rpm/
}
pacman_package() {
  d=/home/builder/$1-$2
  mkdir -p "$d"
  cat >"$d/PKGBUILD" <<PKG
pkgname=$1
pkgver=$2
pkgrel=1
pkgdesc='A test package of the pallet OS lab'
arch=('any')
license=('MIT')
options=('!strip')
package() {
  mkdir -p "\$pkgdir/opt/$1"
  echo $2 >"\$pkgdir/opt/$1/version"
}
PKG
  chown -R builder "$d"
  su builder -c "cd '$d' && PKGEXT=.pkg.tar.gz makepkg --nodeps --noconfirm >/dev/null"
  cp "$d/$1-$2-1-any.pkg.tar.gz" /out/pacman/
}
for v in 1.0 1.1; do
  rpm_package pallet-hello $v
  pacman_package pallet-hello $v
done
rpm_package pallet-extra 1.0
pacman_package pallet-extra 1.0
ls /out/rpm /out/pacman
"#;

/// Builds the test packages into a fresh directory and returns it (`rpm/` and `pacman/`).
pub fn build_packages() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("oslab-packages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let image = lab::image("pkg");
    let out = Command::new("timeout")
        .args(["-k", "10", "300", "podman", "--runtime", "runc", "run", "--rm", "--network=none"])
        .args(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--label", lab::LABEL])
        .arg("-v")
        .arg(format!("{}:/out", dir.display()))
        .args([&image, "sh", "-c", BUILD])
        .output()
        .expect("podman runs");
    assert!(
        out.status.success(),
        "building the test packages failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "rpm/pallet-hello-1.0-1.noarch.rpm",
        "rpm/pallet-hello-1.1-1.noarch.rpm",
        "rpm/pallet-extra-1.0-1.noarch.rpm",
        "pacman/pallet-hello-1.0-1-any.pkg.tar.gz",
        "pacman/pallet-hello-1.1-1-any.pkg.tar.gz",
        "pacman/pallet-extra-1.0-1-any.pkg.tar.gz",
    ] {
        assert!(dir.join(f).is_file(), "{f} was not built");
    }
    dir
}
