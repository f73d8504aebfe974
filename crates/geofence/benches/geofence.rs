//! Checking a fix against a prepared fence of 10, 100 and 1,000 vertices (aim: ≤ 2 µs at 1,000),
//! and the one-off cost of validating and preparing the same fences.

#[path = "common/fence_shapes.rs"]
mod fence_shapes;

mod fence_check {
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use zj_geofence::{Fence, FenceLimits, PreparedFence};

    use super::fence_shapes::{fixes, site, FIXES};

    fn check(c: &mut Criterion) {
        let fixes = fixes();
        let mut group = c.benchmark_group("geofence_check");
        group.throughput(Throughput::Elements(1));
        for vertices in [10, 100, 1_000] {
            let fence = Fence::new(site(vertices), &FenceLimits::default()).expect("valid site");
            let fence = PreparedFence::new(&fence, 100.0);
            let mut i = 0;
            group.bench_with_input(BenchmarkId::from_parameter(vertices), &fence, |b, fence| {
                b.iter(|| {
                    i = (i + 1) % FIXES;
                    fence.check(std::hint::black_box(&fixes[i])).unwrap()
                })
            });
        }
        group.finish();
    }

    fn prepare(c: &mut Criterion) {
        let mut group = c.benchmark_group("geofence_validate_and_prepare");
        for vertices in [10, 100, 1_000] {
            let polygons = site(vertices);
            group.bench_with_input(BenchmarkId::from_parameter(vertices), &polygons, |b, p| {
                b.iter(|| {
                    let fence = Fence::new(p.clone(), &FenceLimits::default()).unwrap();
                    PreparedFence::new(&fence, 100.0)
                })
            });
        }
        group.finish();
    }

    criterion_group!(benches, check, prepare);
}

criterion::criterion_main!(fence_check::benches);
