//! Quoting throughput: mixed values (bare words, spaces, quotes, binary) quoted into one buffer.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use stevedore_core::quote::quote_into;

fn values() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for i in 0..1000u32 {
        v.push(match i % 4 {
            0 => format!("/etc/nginx/sites-available/site-{i}.conf").into_bytes(),
            1 => format!("it's value number {i} with $HOME and `ticks`").into_bytes(),
            2 => format!("plain-{i}").into_bytes(),
            _ => (0..64u8).map(|b| b.wrapping_mul(i as u8).max(1)).collect(),
        });
    }
    v
}

fn bench(c: &mut Criterion) {
    let vals = values();
    let bytes: usize = vals.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("quote");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_with_input(BenchmarkId::new("mixed", vals.len()), &vals, |b, vals| {
        let mut out = Vec::with_capacity(bytes * 2);
        b.iter(|| {
            out.clear();
            for v in vals {
                quote_into(black_box(v), &mut out).unwrap();
                out.push(b' ');
            }
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
