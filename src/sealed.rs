//! The small binary files a build keeps for the next (the output's manifest, the parsed
//! knowledge, the search index's group segments): read field by field without ever reading
//! past the end, and sealed with a CRC-32 so that a file cut short or damaged is never trusted.

use std::ops::Range;

/// `bytes` followed by their CRC-32.
pub fn seal(mut bytes: Vec<u8>) -> Vec<u8> {
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// The bytes [`seal`] was given, when the checksum after them holds.
pub fn unseal(sealed: &[u8]) -> Option<&[u8]> {
    let split = sealed.len().checked_sub(4)?;
    let (bytes, checksum) = sealed.split_at(split);
    (crc32fast::hash(bytes).to_le_bytes() == checksum).then_some(bytes)
}

/// Reads fields in order, each as a range of the bytes, never past their end.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor after `magic`, when the bytes start with it.
    pub fn after(bytes: &'a [u8], magic: &[u8]) -> Option<Self> {
        bytes.starts_with(magic).then_some(Self {
            bytes,
            at: magic.len(),
        })
    }

    pub fn take(&mut self, n: usize) -> Option<Range<usize>> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())?;
        let range = self.at..end;
        self.at = end;
        Some(range)
    }

    pub fn u32(&mut self) -> Option<u32> {
        let range = self.take(4)?;
        Some(u32::from_le_bytes(self.bytes[range].try_into().ok()?))
    }

    pub fn u64(&mut self) -> Option<u64> {
        let range = self.take(8)?;
        Some(u64::from_le_bytes(self.bytes[range].try_into().ok()?))
    }

    /// A `u64` length, then that many bytes.
    pub fn take_u64_length(&mut self) -> Option<Range<usize>> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }

    /// True when every byte has been read.
    pub fn is_done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bytes_read_back_only_whole_and_unchanged() {
        let sealed = seal(b"manifest".to_vec());
        assert_eq!(unseal(&sealed), Some(&b"manifest"[..]));
        assert_eq!(unseal(&sealed[..sealed.len() - 1]), None);
        let mut damaged = sealed.clone();
        damaged[0] ^= 1;
        assert_eq!(unseal(&damaged), None);
        assert_eq!(unseal(&[]), None);
    }

    #[test]
    fn a_cursor_never_reads_past_the_end() {
        let mut bytes = b"M".to_vec();
        bytes.extend_from_slice(&3u64.to_le_bytes());
        bytes.extend_from_slice(b"abc");
        assert!(Cursor::after(&bytes, b"X").is_none());
        let mut cursor = Cursor::after(&bytes, b"M").expect("magic");
        assert_eq!(cursor.take_u64_length(), Some(9..12));
        assert!(cursor.is_done());
        assert_eq!(cursor.u32(), None);
        let mut short = Cursor::after(&bytes[..11], b"M").expect("magic");
        assert_eq!(short.take_u64_length(), None);
    }
}
