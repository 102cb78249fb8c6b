//! `pallet`: project tooling. `pallet new NAME` writes a ready ops crate (see
//! `pallet_cli::new_project`).
//!
//! ```text
//! pallet new NAME [--dir PARENT] [--path PALLET_WORKSPACE] [--version REQ]
//! ```
//!
//! Exit codes: 0 written; 3 usage errors (an invalid name, an existing directory); 1 anything
//! else.

use clap::{Parser, Subcommand};
use pallet_cli::new_project::{NewError, Source, generate};
use std::path::PathBuf;
use std::process::ExitCode;

/// Pallet project tooling.
#[derive(Parser)]
#[command(name = "pallet", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new ops crate NAME (a group on the pallet-nginx plan crate, an inventory,
    /// pallet.toml, a README) that builds and runs `plan` as it is.
    New {
        /// The crate's name, also its directory.
        name: String,
        /// Where to create it (default: the current directory).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Take pallet and its plan crates from this checkout of pallet's workspace instead of
        /// crates.io.
        #[arg(long)]
        path: Option<PathBuf>,
        /// The crates.io version requirement of pallet and its plan crates.
        #[arg(long, default_value = env!("CARGO_PKG_VERSION"))]
        version: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::New { name, dir, path, version } => {
            let source = match path {
                Some(p) => Source::Path(p),
                None => Source::Registry(version),
            };
            match generate(&dir, &name, &source) {
                Ok(d) => {
                    println!("created {}\nnext: cd {} && cargo run -- plan", d.display(), d.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    let usage =
                        matches!(e, NewError::InvalidName { .. } | NewError::Exists(_) | NewError::NotAWorkspace(_));
                    ExitCode::from(if usage { pallet_cli::EXIT_USAGE } else { pallet_cli::EXIT_FAILED })
                }
            }
        }
    }
}
