//! "There and back": a signal leaves its resting value the asked way and comes back. Turns and
//! nods (region mass or yaw proxy) and landmark blinks (eye aspect ratio) are all this shape.

/// How far back a signal must come: within this share of its peak excursion.
const RETURN_SHARE: f32 = 0.4;

/// The largest excursion the asked way, and whether the signal came back after it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Excursion {
    /// Largest `direction × (value − baseline)` seen, in the signal's units (≥ 0).
    pub peak: f32,
    /// Whether, after the peak, the signal came back within 40 % of it.
    pub returned: bool,
}

/// Follows `values` (`(t_ms, value)` in time order). The baseline is the mean of the values in
/// the first `baseline_ms` (at least the first value); `direction` is +1 or −1. `None` when no
/// value follows the baseline.
pub fn there_and_back(
    values: impl IntoIterator<Item = (f64, f32)>,
    direction: f32,
    baseline_ms: f64,
) -> Option<Excursion> {
    let mut values = values.into_iter();
    let (start, first) = values.next()?;
    let (mut baseline_sum, mut baseline_n) = (first, 1u32);
    let mut excursion: Option<Excursion> = None;
    for (t, value) in values {
        if excursion.is_none() && t - start < baseline_ms {
            baseline_sum += value;
            baseline_n += 1;
            continue;
        }
        let away = direction * (value - baseline_sum / baseline_n as f32);
        let e = excursion.get_or_insert_with(Excursion::default);
        if away > e.peak {
            e.peak = away;
            e.returned = false;
        } else if away <= RETURN_SHARE * e.peak {
            e.returned = true;
        }
    }
    excursion
}
