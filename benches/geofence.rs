//! Checking a fix against a prepared fence of 10, 100 and 1,000 vertices (aim: ≤ 2 µs at 1,000),
//! and the one-off cost of validating and preparing the same fences.
#![cfg_attr(target_arch = "wasm32", no_main)]

#[cfg(not(target_arch = "wasm32"))]
mod fence_check {
    use std::f64::consts::TAU;

    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use geo::{Coord, LineString};
    use zj_attendance::geofence::{Fence, FenceLimits, Fix, PreparedFence};

    /// Site centre in Yuhang, Hangzhou (WGS-84 degrees).
    const CENTRE: Coord<f64> = Coord { x: 120.0, y: 30.28 };
    /// Metres per degree near the centre (longitude, latitude).
    const M_PER_DEG: (f64, f64) = (96_220.0, 110_852.0);
    /// Fixes cycled through per benchmark: inside, outside and near edges alike.
    const FIXES: usize = 1_024;

    /// A surveyed-looking site boundary of `vertices` corners, about 800 m across.
    fn site(vertices: usize) -> Vec<Vec<LineString<f64>>> {
        let corner = |i: usize| {
            let t = TAU * i as f64 / vertices as f64;
            let r = 400.0 * (1.0 + 0.15 * (5.0 * t).sin() + 0.05 * (23.0 * t + 1.0).sin());
            Coord {
                x: CENTRE.x + r * t.cos() / M_PER_DEG.0,
                y: CENTRE.y + r * t.sin() / M_PER_DEG.1,
            }
        };
        vec![vec![(0..=vertices).map(|i| corner(i % vertices)).collect()]]
    }

    /// Fixes scattered over 1.2 km × 1.2 km around the centre, accuracy 5–40 m.
    fn fixes() -> Vec<Fix> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..FIXES)
            .map(|_| {
                let x = CENTRE.x + (next() - 0.5) * 1_200.0 / M_PER_DEG.0;
                let y = CENTRE.y + (next() - 0.5) * 1_200.0 / M_PER_DEG.1;
                Fix::new(x, y, 5.0 + 35.0 * next()).expect("fix in range")
            })
            .collect()
    }

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

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(fence_check::benches);
