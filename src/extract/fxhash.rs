//! A fast hasher for the splitter's small internal sets (readings seen, reachable column sums),
//! whose keys are offsets and sums the search itself makes. The standard hasher (SipHash) resists
//! crafted collisions, which these keys cannot be steered into at any cost worth having, and it
//! was a third of the row search. Maps keyed by report text keep the standard hasher.
//!
//! The mixing step is the one rustc uses for its own tables (FxHash), with a final avalanche.

use std::hash::{BuildHasherDefault, Hasher};

/// `HashSet` with [`FxHasher`].
pub type FxHashSet<T> = std::collections::HashSet<T, BuildHasherDefault<FxHasher>>;

#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// FxHash's product keeps a word's trailing zeros in the low bits, which the table indexes
    /// by (sums in millionths all end in six zero bits): a final avalanche (MurmurHash3's
    /// `fmix64`) spreads them.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(v: &T) -> u64 {
        BuildHasherDefault::<FxHasher>::default().hash_one(v)
    }

    #[test]
    fn equal_keys_hash_equal_and_near_keys_apart() {
        let a: Vec<Option<(usize, usize)>> = vec![Some((0, 2)), None, Some((2, 3))];
        assert_eq!(hash(&a), hash(&a.clone()));
        // The splitter's signatures differ by one offset or by where a blank sits.
        let b: Vec<Option<(usize, usize)>> = vec![Some((0, 2)), Some((2, 3)), None];
        let c: Vec<Option<(usize, usize)>> = vec![Some((0, 1)), None, Some((2, 3))];
        assert_ne!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
        assert_ne!(hash(&5_000_000i128), hash(&-5_000_000i128));
        assert_ne!(hash(&"ab"), hash(&"ba"));
    }

    #[test]
    fn sums_in_millionths_spread_over_the_table() {
        // Column sums are multiples of 1e6 (values in millionths): the low bits a table indexes
        // by must still differ, or a set of them degrades into a list.
        let low: FxHashSet<u64> = (0..20_000i128).map(|i| hash(&(i * 1_000_000)) & 0xffff).collect();
        assert!(low.len() > 10_000, "{} distinct low 16 bits of 20000", low.len());
        let top: FxHashSet<u64> = (0..20_000i128).map(|i| hash(&(i * 1_000_000)) >> 57).collect();
        assert!(top.len() > 100, "{} distinct top 7 bits", top.len());
    }
}
