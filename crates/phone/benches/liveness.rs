//! Per-frame liveness analysis of 640×480 frames (aim: ≤ 5 ms in wasm in Chromium; this is the
//! native figure, the wasm one is printed by `tests/liveness_camera.rs`): the guide sampler alone,
//! and a challenge run's `push_frame` (sampling, quality, scoring the current step).

#[path = "../tests/phone/liveness_common/scene.rs"]
#[allow(dead_code)] // The tests' scenes; the benchmark needs only the renderer.
mod scene;

mod frame_analysis {
    use criterion::{criterion_group, BatchSize, Criterion, Throughput};
    use zj_phone::liveness::{
        Challenge, ChallengeRun, Frame, Guide, GuideSampler, Nonce, NonceSource, QualityLimits,
    };

    use super::scene::{Renderer, Scene};

    /// Two frames of a live face (eyes open, eyes shut), so motion is measured.
    fn frames() -> [Vec<u8>; 2] {
        let renderer = Renderer::new(640, 480);
        [false, true].map(|eyes_closed| {
            let mut rgba = renderer.buffer();
            renderer.render(
                &Scene {
                    eyes_closed,
                    ..Scene::default()
                },
                &mut rgba,
            );
            rgba
        })
    }

    fn analyse(c: &mut Criterion) {
        let frames = frames();
        let mut group = c.benchmark_group("liveness_640x480");
        group.throughput(Throughput::Elements(1));
        let mut sampler = GuideSampler::new(640, 480, Guide::default());
        let mut i = 0;
        group.bench_function("guide_sampler", |b| {
            b.iter(|| {
                i += 1;
                sampler.analyse(&Frame::new(640, 480, &frames[i % 2]).unwrap())
            })
        });
        // 60 frames (3 s at 20 fps) of a fresh run: sampling plus each step's scoring.
        group.throughput(Throughput::Elements(60));
        let challenge = Challenge::plan(
            Nonce::new("00112233445566778899aabbccddeeff").unwrap(),
            NonceSource::Relay,
        );
        group.bench_function("challenge_run_push_frame_x60", |b| {
            b.iter_batched(
                || {
                    ChallengeRun::new(
                        challenge.clone(),
                        Guide::default(),
                        QualityLimits::default(),
                    )
                },
                |mut run| {
                    for k in 0..60 {
                        let frame = Frame::new(640, 480, &frames[k % 2]).unwrap();
                        run.push_frame(&frame, 50.0 * k as f64);
                    }
                    run
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }

    criterion_group!(benches, analyse);
}

criterion::criterion_main!(frame_analysis::benches);
