//! `ops images [PATTERN] [--owner OWNER ...]`: the images each service of the groups (or the
//! `--service`) can create nodes from. A service that cannot list them is named on stderr and
//! the exit code is 4 (the others' images are printed all the same).

use crate::args::Format;
use crate::{EXIT_OK, EXIT_UNSUPPORTED, Failure, output};
use pallet_runtime::compute::{ComputeError, ComputeService, ImageQuery};
use std::sync::Arc;

pub(crate) async fn run(
    services: &[(String, Arc<dyn ComputeService>)],
    pattern: Option<&str>,
    owners: &[String],
    format: Format,
) -> Result<u8, Failure> {
    let query = ImageQuery { owners: owners.to_vec(), name: pattern.map(String::from) };
    let mut rows = Vec::new();
    let mut unsupported = Vec::new();
    for (name, svc) in services {
        match svc.images(&query).await {
            Ok(images) => rows.extend(images.into_iter().map(|i| (name.clone(), i))),
            Err(e @ ComputeError::Unsupported { .. }) => unsupported
                .push(Failure { code: EXIT_UNSUPPORTED, message: format!("not supported: service {name}: {e}") }),
            Err(e) => return Err(Failure::failed(format!("service {name}: {e}"))),
        }
    }
    finish(unsupported, services.len(), || output::images(&rows, format))
}

/// Prints (unless every service said "not supported") and returns the exit code: 4 when a
/// service did not support the command, else 0. The message of each unsupported service goes to
/// stderr; when none could answer, the first is the command's error.
pub(crate) fn finish(unsupported: Vec<Failure>, services: usize, print: impl FnOnce()) -> Result<u8, Failure> {
    if unsupported.len() == services
        && let Some(first) = unsupported.first()
    {
        return Err(first.clone());
    }
    print();
    match unsupported.first() {
        Some(f) => {
            for u in &unsupported {
                eprintln!("error: {}", u.message);
            }
            Ok(f.code)
        }
        None => Ok(EXIT_OK),
    }
}
