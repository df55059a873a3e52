//! Line endings made uniform as a CSV file streams in (see [`LfLines`]).

use std::io::Read;

/// Turns CRLF into LF as the file streams in: the CSV reader's line numbers then match what a
/// person sees in their editor whichever line endings the file has.
/// The last line also gets a newline if it had none, so every row ends the same way (see
/// `rows::first_line`).
pub(super) struct LfLines<R> {
    inner: R,
    pending_cr: bool,
    /// Whether the last byte handed out was a newline (so an empty file stays empty).
    at_line_start: bool,
}

impl<R> LfLines<R> {
    pub(super) fn new(inner: R) -> Self {
        LfLines {
            inner,
            pending_cr: false,
            at_line_start: true,
        }
    }
}

impl<R: Read> Read for LfLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                let Some(first) = buf.first_mut() else {
                    return Ok(0);
                };
                if std::mem::take(&mut self.pending_cr) {
                    *first = b'\r';
                    self.at_line_start = false;
                    return Ok(1);
                }
                if !self.at_line_start {
                    *first = b'\n';
                    self.at_line_start = true;
                    return Ok(1);
                }
                return Ok(0);
            }
            if !self.pending_cr && !buf[..n].contains(&b'\r') {
                // Most files, and most of any file: nothing to change.
                self.at_line_start = buf[n - 1] == b'\n';
                return Ok(n);
            }
            // CRs to drop, or one held back from the last read that may come out ahead of these
            // bytes: rewritten from a copy.
            let mut out = 0;
            let mut carried = std::mem::take(&mut self.pending_cr);
            let chunk = buf[..n].to_vec();
            for (i, &b) in chunk.iter().enumerate() {
                if carried && b != b'\n' {
                    buf[out] = b'\r';
                    out += 1;
                }
                carried = false;
                if b == b'\r' {
                    if i + 1 == n {
                        self.pending_cr = true;
                    } else if chunk[i + 1] != b'\n' {
                        buf[out] = b;
                        out += 1;
                    }
                } else {
                    buf[out] = b;
                    out += 1;
                }
            }
            if out > 0 {
                self.at_line_start = buf[out - 1] == b'\n';
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_becomes_lf_even_across_reads() {
        struct TwoByTwo(&'static [u8], usize);
        impl Read for TwoByTwo {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = 2.min(self.0.len() - self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
                self.1 += n;
                Ok(n)
            }
        }
        let mut out = String::new();
        LfLines::new(TwoByTwo(b"a\r\nbc\r\nd\re\r", 0))
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(
            out, "a\nbc\nd\re\r\n",
            "and the last line ends with a newline"
        );
        let mut empty = String::new();
        LfLines::new(&b""[..]).read_to_string(&mut empty).unwrap();
        assert_eq!(empty, "");
    }
}
