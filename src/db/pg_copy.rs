//! Rows in PostgreSQL's binary `COPY` format, for bulk loads (see `intake::store`).
//!
//! `COPY … FROM STDIN (FORMAT binary)` is PostgreSQL's own bulk path: no statement per row, no
//! array parameters to take apart, rows stored in batches. diesel can send such a stream but only
//! builds it itself from flat `Insertable` structs; encoding the few types the import needs here
//! keeps the row type shared with the ordinary insert. Format:
//! <https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>

use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// PostgreSQL counts dates and timestamps from 2000-01-01: that day counted from 1 January of
/// year 1 (chrono's day count), and in microseconds from the Unix epoch.
const EPOCH_DAYS_FROM_CE: i32 = 730_120;
const EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// A binary `COPY` stream being built: the header, then rows, then the trailer.
pub struct BinaryRows {
    buf: Vec<u8>,
}

impl BinaryRows {
    pub fn with_capacity(bytes: usize) -> BinaryRows {
        let mut buf = Vec::with_capacity(bytes + 32);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        // Flags, then the length of the header extension: neither is used.
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&0i32.to_be_bytes());
        BinaryRows { buf }
    }

    /// Starts a row of `fields` values; exactly that many must follow.
    pub fn row(&mut self, fields: i16) -> &mut Self {
        self.buf.extend_from_slice(&fields.to_be_bytes());
        self
    }

    fn value(&mut self, bytes: &[u8]) -> &mut Self {
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    pub fn int8(&mut self, v: i64) -> &mut Self {
        self.value(&v.to_be_bytes())
    }

    pub fn int4(&mut self, v: i32) -> &mut Self {
        self.value(&v.to_be_bytes())
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.value(&[u8::from(v)])
    }

    pub fn text(&mut self, v: &str) -> &mut Self {
        self.value(v.as_bytes())
    }

    pub fn text_or_null(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn date(&mut self, v: NaiveDate) -> &mut Self {
        self.int4(v.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
    }

    pub fn timestamp(&mut self, v: NaiveDateTime) -> &mut Self {
        self.int8(v.and_utc().timestamp_micros() - EPOCH_UNIX_MICROS)
    }

    pub fn timestamp_or_null(&mut self, v: Option<NaiveDateTime>) -> &mut Self {
        match v {
            Some(v) => self.timestamp(v),
            None => self.null(),
        }
    }

    /// The finished stream, trailer included.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_its_field_count_then_each_value_with_its_length() {
        let at = NaiveDate::from_ymd_opt(2000, 1, 2).unwrap();
        let mut rows = BinaryRows::with_capacity(0);
        rows.row(5)
            .int8(7)
            .text("Zoë")
            .null()
            .date(at)
            .timestamp(at.and_hms_opt(0, 0, 1).unwrap());
        let bytes = rows.finish();
        let mut expected = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
        expected.extend_from_slice(&[0, 5]);
        expected.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]);
        expected.extend_from_slice(&[0, 0, 0, 4, b'Z', b'o', 0xc3, 0xab]);
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 1]);
        // One day and one second after the epoch, in microseconds.
        expected.extend_from_slice(&[0, 0, 0, 8]);
        expected.extend_from_slice(&86_401_000_000i64.to_be_bytes());
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn dates_before_2000_are_negative() {
        let mut rows = BinaryRows::with_capacity(0);
        rows.date(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap());
        let bytes = rows.finish();
        assert_eq!(&bytes[19..27], &[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
    }
}
