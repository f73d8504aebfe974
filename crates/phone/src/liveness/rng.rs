//! The challenge's random numbers: SplitMix64 (Steele, Lea and Flood, 2014) seeded from the MD5
//! of the nonce, so anyone holding the nonce re-derives the same challenge.

use md5::{Digest, Md5};

/// SplitMix64: small, fast and well mixed; not for secrets (the nonce is the secret part).
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence is a function of `seed` text only.
    pub(crate) fn from_seed_text(seed: &str) -> Self {
        let digest = Md5::new()
            .chain_update(b"zj-liveness-v1:")
            .chain_update(seed.as_bytes())
            .finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Self {
            state: u64::from_le_bytes(first),
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` ≥ 1), by multiply-shift (bias below 2⁻⁵⁸ for the small `n` used).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}
