//! Rendering a 100-action plan for one OS into its phase script.

use criterion::{Criterion, criterion_group, criterion_main};
use pallet_runtime::action::*;
use pallet_runtime::render::{RenderOptions, render_phase};
use std::hint::black_box;
use stevedore::Os;

fn plan() -> Vec<Box<dyn Action>> {
    let mut v: Vec<Box<dyn Action>> = Vec::new();
    for i in 0..100 {
        v.push(match i % 5 {
            0 => Box::new(package(format!("pkg-{i}"))),
            1 => Box::new(
                remote_file(format!("/etc/app/conf-{i}"))
                    .content(format!("key = {i}\nother = 'x'\n"))
                    .owner("root")
                    .mode(0o644),
            ),
            2 => Box::new(directory(format!("/srv/d{i}")).owner("www-data").mode(0o755)),
            3 => Box::new(user(format!("user{i}")).shell("/bin/sh").groups(["adm"])),
            _ => Box::new(service(format!("svc{i}")).start().enable(true)),
        });
    }
    v
}

fn bench(c: &mut Criterion) {
    let actions = plan();
    let os = Os::parse("debian-12").unwrap();
    let o = RenderOptions { nonce: "BENCH".into(), ..RenderOptions::new("configure", "node-1") };
    c.bench_function("render_phase/100_actions/debian-12", |b| {
        b.iter(|| black_box(render_phase(black_box(&actions), &os, &o).unwrap().text.len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
