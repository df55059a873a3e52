//! Line endings made uniform as a CSV file streams in (see [`LfLines`]).

use std::io::Read;

/// Turns CRLF into LF as the file streams in: the CSV reader's line numbers then match what a
/// person sees in their editor whichever line endings the file has.
/// The last line also gets a newline if it had none, so every row ends the same way (see
/// `rows::first_line`).
pub(super) struct LfLines<R> {
    inner: R,
    pending_cr: bool,
    /// A byte already read that did not fit the caller's one-byte buffer (see `read_after_cr`).
    spilled: Option<u8>,
    /// Whether the last byte handed out was a newline (so an empty file stays empty).
    at_line_start: bool,
}

impl<R> LfLines<R> {
    pub(super) fn new(inner: R) -> Self {
        LfLines {
            inner,
            pending_cr: false,
            spilled: None,
            at_line_start: true,
        }
    }
}

impl<R: Read> Read for LfLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(b) = self.spilled.take() {
            buf[0] = b;
            self.at_line_start = b == b'\n';
            return Ok(1);
        }
        loop {
            if self.pending_cr && buf.len() == 1 {
                return self.read_after_cr(buf);
            }
            // A CR held back may come out ahead of this read's bytes: leave room for it.
            let room = buf.len() - usize::from(self.pending_cr);
            let n = self.inner.read(&mut buf[..room])?;
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

impl<R: Read> LfLines<R> {
    /// A CR is held back and the caller has room for one byte: the next byte decides whether
    /// the CR ends a line (CRLF, handed out as LF) or stays (a lone CR, then that byte).
    fn read_after_cr(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut next = [0u8; 1];
        if self.inner.read(&mut next)? == 0 {
            self.pending_cr = false;
            buf[0] = b'\r';
            self.at_line_start = false;
            return Ok(1);
        }
        match next[0] {
            b'\n' => self.pending_cr = false,
            // Another CR: it is held back in turn.
            b'\r' => {}
            other => {
                self.pending_cr = false;
                self.spilled = Some(other);
            }
        }
        buf[0] = if next[0] == b'\n' { b'\n' } else { b'\r' };
        self.at_line_start = buf[0] == b'\n';
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source handing out at most `step` bytes a read.
    struct Steps(&'static [u8], usize, usize);
    impl Read for Steps {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.2.min(self.0.len() - self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    /// The whole of `input` through `LfLines`, read `step` bytes from the source and into
    /// buffers of `buffer` bytes.
    fn through(input: &'static [u8], step: usize, buffer: usize) -> String {
        let mut lines = LfLines::new(Steps(input, 0, step));
        let (mut out, mut buf) = (Vec::new(), vec![0u8; buffer]);
        loop {
            let n = lines.read(&mut buf).unwrap();
            if n == 0 {
                return String::from_utf8(out).unwrap();
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn crlf_becomes_lf_even_across_reads() {
        let input = b"a\r\nbc\r\nd\re\r";
        for (step, buffer) in [(2, 2), (2, 8192), (1, 1), (3, 2), (8192, 8192)] {
            assert_eq!(
                through(input, step, buffer),
                "a\nbc\nd\re\r\n",
                "and the last line ends with a newline (step {step}, buffer {buffer})"
            );
        }
        // A lone CR at the end of one read, then a read that fills the buffer: the CR still fits.
        assert_eq!(through(b"ab\rcdefgh\r\nij", 3, 3), "ab\rcdefgh\nij\n");
        assert_eq!(through(b"a\r\r\nb\rc", 1, 1), "a\r\nb\rc\n");
        let mut empty = String::new();
        LfLines::new(&b""[..]).read_to_string(&mut empty).unwrap();
        assert_eq!(empty, "");
    }
}
