//! Where the index's files are cut into chunks. Cuts fall where the content says, not at
//! fixed offsets: an edit that grows or shrinks a file moves every byte after it, and fixed
//! cuts would then change every later chunk, so a rebuild would write and compress them all
//! again and browsers would fetch them anew. A cut by content is decided by a rolling hash of
//! the 64 bytes before it, so around unchanged bytes the cuts fall in the same places and
//! only the chunks near the edit change (content-defined chunking, as in FastCDC).

use std::ops::Range;

/// Files are cut into chunks of about this size: small enough that a query on a large site
/// fetches little more than it reads, large enough that a small site is a handful of requests.
pub const CHUNK_SIZE: usize = 16 * 1024;

/// The document store is read a block per hit, at random: smaller chunks.
pub const STORE_CHUNK_SIZE: usize = 8 * 1024;

/// The term dictionaries are read a few small blocks per query term, scattered: small chunks.
pub const TERM_CHUNK_SIZE: usize = 4 * 1024;

/// Every larger file ends with a chunk this small: tantivy keeps its footers and offsets at
/// the end of each file, and opening the index reads them all.
pub const FOOTER_CHUNK_SIZE: usize = 2 * 1024;

/// How a file is cut: into chunks of about [`CHUNK_SIZE`] ([`STORE_CHUNK_SIZE`] for the
/// document store, [`TERM_CHUNK_SIZE`] for term dictionaries), the last of them exactly
/// [`FOOTER_CHUNK_SIZE`] for files larger than one chunk; or, for an index small enough to be
/// fetched whole (`whole`), not at all: one request per file instead of several, each
/// compressed as one.
pub fn layout(name: &str, data: &[u8], whole: bool) -> Vec<Range<usize>> {
    let target = if name.ends_with(".store") {
        STORE_CHUNK_SIZE
    } else if name.ends_with(".term") {
        TERM_CHUNK_SIZE
    } else {
        CHUNK_SIZE
    };
    let size = data.len();
    if whole || size <= target {
        return std::iter::once(0..size).collect();
    }
    let body = size - FOOTER_CHUNK_SIZE;
    let mut ranges = content_defined(&data[..body], target);
    ranges.push(body..size);
    ranges
}

/// Cuts `data` into chunks of `target` bytes on average: never shorter than half of it
/// (except the last), never longer than twice, each cut where the rolling hash's top bits
/// are zero.
fn content_defined(data: &[u8], target: usize) -> Vec<Range<usize>> {
    let least = target / 2;
    let most = target * 2;
    // Past the least size, a cut comes after each byte with probability 1 / (target - least).
    let bits = (target - least).trailing_zeros();
    let mut ranges = Vec::with_capacity(data.len() / target + 1);
    let mut start = 0;
    while start < data.len() {
        let end = next_cut(&data[start..(start + most).min(data.len())], least, bits);
        ranges.push(start..start + end);
        start += end;
    }
    ranges
}

/// Where the chunk at the start of `window` ends: after the first byte past `least` whose
/// hash has its top `bits` bits clear, or at the window's end.
fn next_cut(window: &[u8], least: usize, bits: u32) -> usize {
    if window.len() <= least {
        return window.len();
    }
    let shift = u64::BITS - bits;
    let mut hash = 0u64;
    // The hash after a byte depends on the 64 bytes before it; start 64 bytes early so that
    // the first possible cut already sees a full window.
    let warm = least.saturating_sub(64);
    for &byte in &window[warm..least] {
        hash = (hash << 1).wrapping_add(GEAR[usize::from(byte)]);
    }
    for (at, &byte) in window.iter().enumerate().skip(least) {
        hash = (hash << 1).wrapping_add(GEAR[usize::from(byte)]);
        if hash >> shift == 0 {
            return at + 1;
        }
    }
    window.len()
}

/// A fixed random number per byte value, from SplitMix64: the cuts, and so the chunks' names,
/// must never change between builds or versions.
const GEAR: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut state: u64 = 0x7665_7273_7573_2d69; // "versus-i"
    let mut i = 0;
    while i < 256 {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        table[i] = z ^ (z >> 31);
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that look like an index file: varied, with no long repeats.
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 56) as u8
            })
            .collect()
    }

    fn chunks<'a>(data: &'a [u8], ranges: &[Range<usize>]) -> Vec<&'a [u8]> {
        ranges.iter().map(|r| &data[r.clone()]).collect()
    }

    #[test]
    fn cuts_files_into_bounded_chunks_that_end_with_a_small_footer_chunk() {
        assert_eq!(layout("a.idx", &noise(100, 1), false), vec![0..100]);
        let data = noise(CHUNK_SIZE * 20 + 10, 2);
        let ranges = layout("a.idx", &data, false);
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(ranges.last().map(|r| r.end), Some(data.len()));
        assert_eq!(ranges.last().map(|r| r.len()), Some(FOOTER_CHUNK_SIZE));
        let body = &ranges[..ranges.len() - 1];
        assert!(
            body[..body.len() - 1]
                .iter()
                .all(|r| (CHUNK_SIZE / 2..=CHUNK_SIZE * 2).contains(&r.len())),
            "{body:?}"
        );
        let average = body.iter().map(|r| r.len()).sum::<usize>() / body.len();
        assert!(
            (CHUNK_SIZE * 3 / 4..=CHUNK_SIZE * 5 / 4).contains(&average),
            "average chunk {average}"
        );
        let store = layout("a.store", &data, false);
        assert!(store.len() > ranges.len() * 3 / 2, "smaller store chunks");
        assert_eq!(layout("a.store", &data, true), vec![0..data.len()]);
    }

    #[test]
    fn an_insertion_changes_only_the_chunks_around_it() {
        let before = noise(STORE_CHUNK_SIZE * 60, 3);
        let mut after = before.clone();
        let at = before.len() / 3;
        after.splice(at..at, *b"an edit that adds some words to one document");
        let old_ranges = layout("a.store", &before, false);
        let old = chunks(&before, &old_ranges);
        let new_ranges = layout("a.store", &after, false);
        let new = chunks(&after, &new_ranges);
        let changed = new.iter().filter(|chunk| !old.contains(chunk)).count();
        // The edited chunk, perhaps its neighbour, and the footer (its bytes moved).
        assert!(changed <= 3, "{changed} of {} chunks changed", new.len());
        // Cut at fixed offsets, every chunk after the edit would have changed.
        assert!(new.len() > 40);
    }

    #[test]
    fn cuts_never_change_between_versions() {
        // Chunk names are hashes of their bytes: different cuts would make every cached
        // chunk stale. This pins the cuts of one input.
        let ranges = layout("a.term", &noise(TERM_CHUNK_SIZE * 6, 4), false);
        let ends: Vec<usize> = ranges.iter().map(|r| r.end).collect();
        assert_eq!(ends, [4533, 7757, 12698, 18424, 22079, 22528, 24576]);
    }
}
