//! `ops hardware`: the machine types each service of the groups (or the `--service`) offers; a
//! service that cannot list them is named on stderr and the exit code is 4.

use super::images::finish;
use crate::args::Format;
use crate::{EXIT_UNSUPPORTED, Failure, output};
use pallet_runtime::compute::{ComputeError, ComputeService};
use std::sync::Arc;

pub(crate) async fn run(services: &[(String, Arc<dyn ComputeService>)], format: Format) -> Result<u8, Failure> {
    let mut rows = Vec::new();
    let mut unsupported = Vec::new();
    for (name, svc) in services {
        match svc.hardware().await {
            Ok(hw) => rows.extend(hw.into_iter().map(|h| (name.clone(), h))),
            Err(e @ ComputeError::Unsupported { .. }) => unsupported
                .push(Failure { code: EXIT_UNSUPPORTED, message: format!("not supported: service {name}: {e}") }),
            Err(e) => return Err(Failure::failed(format!("service {name}: {e}"))),
        }
    }
    finish(unsupported, services.len(), || output::hardware(&rows, format))
}
