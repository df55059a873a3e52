//! Reading a referrals file: the header row, and rows checked into chunks for the writers (see
//! the parent module). Line endings are made uniform first (`line_endings`).

use std::io::Read;

use serde_json::Value;

use super::{line_endings::LfLines, RowError};
use crate::{
    error::{AppError, AppResult},
    intake::{
        fields,
        referral::{NewReferral, ReferralRequest},
    },
};

/// Rows written per transaction: large enough for throughput, small enough that a failure loses
/// little and progress is visible.
const CHUNK: usize = 5000;

const REQUIRED: [&str; 6] = [
    "reference",
    "name",
    "region",
    "amount_owed_minor",
    "currency",
    "days_in_arrears",
];

/// A reader over the file with its header row read and checked.
pub(super) fn open<R: Read>(source: R) -> AppResult<(csv::Reader<LfLines<R>>, Columns)> {
    // Cells are trimmed as they are read (`Columns::get`), not by the reader: see `first_line`.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(LfLines::new(source));
    let headers = reader
        .headers()
        .map_err(|e| AppError::bad_request(format!("The file is not readable CSV: {e}")))?;
    let columns = Columns::of(headers)?;
    Ok((reader, columns))
}

/// Where each known column is in the file, found once from the header row (any order, any case):
/// one entry per [`KNOWN`] column, in its order.
pub(super) struct Columns {
    positions: [Option<usize>; KNOWN.len()],
}

/// Every column a row may have, with the API's field names.
const KNOWN: [&str; 13] = [
    "reference",
    "name",
    "email",
    "phone",
    "region",
    "timezone",
    "other_timezones",
    "amount_owed_minor",
    "currency",
    "days_in_arrears",
    "notes",
    "circumstances",
    "preferred_contact_times",
];

impl Columns {
    /// The columns of a header row; the required ones missing are refused, with the names a
    /// person needs to put right.
    fn of(headers: &csv::StringRecord) -> AppResult<Columns> {
        let positions = KNOWN.map(|name| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        });
        let present = |name: &&str| {
            KNOWN
                .iter()
                .zip(&positions)
                .any(|(known, at)| known == name && at.is_some())
        };
        let missing: Vec<&str> = REQUIRED.iter().copied().filter(|r| !present(r)).collect();
        if !missing.is_empty() {
            let optional: Vec<&str> = KNOWN
                .iter()
                .copied()
                .filter(|k| !REQUIRED.contains(k))
                .collect();
            return Err(AppError::bad_request(format!(
                "The header row is missing: {}. Expected columns: {}, and optionally {}.",
                missing.join(", "),
                REQUIRED.join(", "),
                optional.join(", ")
            )));
        }
        Ok(Columns { positions })
    }

    /// The row's cells in [`KNOWN`] order, trimmed; `None` where the file lacks the column or
    /// the cell is empty.
    fn cells<'r>(&self, record: &'r csv::StringRecord) -> [Option<&'r str>; KNOWN.len()] {
        self.positions.map(|at| {
            at.and_then(|i| record.get(i))
                .map(fields::trim)
                .filter(|v| !v.is_empty())
        })
    }
}

/// A number cell as the JSON number it would be, so it needs no parsing later; anything else as
/// text, for the referral's own checks to name.
fn number(cell: &str) -> Value {
    cell.parse::<i64>()
        .map_or_else(|_| Value::String(cell.to_string()), Value::from)
}

fn request_from(columns: &Columns, record: &csv::StringRecord) -> ReferralRequest {
    let [reference, name, email, phone, region, timezone, other_timezones, amount_owed_minor, currency, days_in_arrears, notes, circumstances, preferred_contact_times] =
        columns.cells(record);
    let text = |cell: Option<&str>| cell.map(str::to_string);
    ReferralRequest {
        reference: text(reference).unwrap_or_default(),
        name: text(name).unwrap_or_default(),
        email: text(email),
        phone: text(phone),
        region: text(region).unwrap_or_default(),
        timezone: text(timezone),
        // Several zones in one cell, separated by spaces or semicolons.
        other_timezones: other_timezones.map(|cell| {
            cell.split([' ', ';'])
                .filter(|z| !z.is_empty())
                .map(str::to_string)
                .collect()
        }),
        amount_owed_minor: amount_owed_minor.map(number),
        currency: text(currency).unwrap_or_default(),
        days_in_arrears: days_in_arrears.map(number),
        notes: text(notes),
        circumstances: text(circumstances),
        preferred_contact_times: text(preferred_contact_times),
    }
}

/// One chunk of the file, checked.
pub(super) struct Parsed {
    pub referrals: Vec<NewReferral>,
    pub errors: Vec<RowError>,
    pub rows: usize,
    pub bytes_read: u64,
}

const NOT_UTF8: &str = "is not UTF-8 text: save the file as UTF-8 (\"CSV UTF-8\" in Excel)";

/// The line a row starts on, as an editor numbers it. The reader's own position for a record is
/// where it began looking, before any blank lines it skipped; counting back from where the row
/// ended is exact: back over its newline and over the
/// newlines inside its quoted cells (cells are not trimmed by the reader, so none is lost).
fn first_line<R: Read>(reader: &csv::Reader<R>, raw: &csv::ByteRecord) -> u64 {
    let inside = raw.as_slice().iter().filter(|b| **b == b'\n').count() as u64;
    // Every row ends with a newline, the last one too (`LfLines`).
    reader.position().line().saturating_sub(inside + 1)
}

/// Reads the rest of the file, sending each full chunk (and the last) to the writers. A chunk is
/// full with [`CHUNK`] good rows, or as many refused ones (a file of the wrong shape then does not
/// pile up a reason for each of its million rows here; the report keeps the first ones).
/// Stops at the first failure to read the file itself (the disk or the connection under it,
/// not its content: reading on would only fail again), after sending the rows before it.
pub(super) fn parse_chunks<R: Read>(
    reader: &mut csv::Reader<R>,
    columns: &Columns,
    sender: &std::sync::mpsc::SyncSender<Parsed>,
) -> Result<(), Unreadable> {
    let mut raw = csv::ByteRecord::new();
    let fresh = || Parsed {
        referrals: Vec::with_capacity(CHUNK),
        errors: Vec::new(),
        rows: 0,
        bytes_read: 0,
    };
    let mut parsed = fresh();
    loop {
        let more = match reader.read_byte_record(&mut raw) {
            Ok(false) => false,
            Ok(true) if raw.iter().all(|v| v.trim_ascii().is_empty()) => true,
            Ok(true) => {
                parsed.rows += 1;
                let line = first_line(reader, &raw);
                match csv::StringRecord::from_byte_record(std::mem::take(&mut raw)) {
                    Ok(record) => {
                        match request_from(columns, &record).parse() {
                            Ok(referral) => parsed.referrals.push(referral),
                            Err(fields) => parsed.errors.push(RowError {
                                line,
                                // Shown in the portal and printed by the command: nothing
                                // of a card or bank number is quoted back.
                                reasons: fields
                                    .into_iter()
                                    .map(|(f, m)| {
                                        crate::payment_guard::quotable(format!(
                                            "{f} {}",
                                            m.join(", ")
                                        ))
                                    })
                                    .collect(),
                            }),
                        }
                        raw = record.into_byte_record(); // the buffers, for the next row
                    }
                    Err(not_text) => {
                        raw = not_text.into_byte_record();
                        parsed.errors.push(RowError {
                            line,
                            reasons: vec![NOT_UTF8.into()],
                        });
                    }
                }
                true
            }
            Err(e) if e.is_io_error() => {
                let line = reader.position().line();
                // The rows before it still go to the writers (good rows are kept).
                parsed.bytes_read = reader.position().byte();
                let _ = sender.send(parsed);
                return Err(Unreadable { line, cause: e });
            }
            Err(e) => {
                parsed.rows += 1;
                parsed.errors.push(RowError {
                    line: e.position().map_or(reader.position().line(), |p| p.line()),
                    reasons: vec![format!("not readable CSV: {e}")],
                });
                true
            }
        };
        if !more || parsed.referrals.len() == CHUNK || parsed.errors.len() == CHUNK {
            parsed.bytes_read = reader.position().byte();
            let full = std::mem::replace(&mut parsed, fresh());
            // The writer has stopped (a database error): nothing more to do here.
            if sender.send(full).is_err() || !more {
                return Ok(());
            }
        }
    }
}

/// The file stopped being readable part way (see [`parse_chunks`]).
#[derive(Debug)]
pub(super) struct Unreadable {
    /// The line the reader had reached.
    pub line: u64,
    pub cause: csv::Error,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the file could not be read past line {} ({}). The rows before it were imported; \
             run the import again once the file can be read: rows already stored are skipped",
            self.line, self.cause
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of each refused row in `file`.
    fn refused_lines(file: &[u8]) -> Vec<u64> {
        let (mut reader, columns) = open(file).unwrap();
        let (sender, receiver) = std::sync::mpsc::sync_channel(8);
        parse_chunks(&mut reader, &columns, &sender).unwrap();
        drop(sender);
        receiver
            .iter()
            .flat_map(|parsed| parsed.errors)
            .map(|e| e.line)
            .collect()
    }

    #[test]
    fn refused_rows_are_reported_on_the_line_an_editor_shows() {
        let file = b"reference,name,region,amount_owed_minor,currency,days_in_arrears\n\
            R-1,Ann,england,100,GBP,3\n\
            \n\
            R-2,,england,100,GBP,3\n\
            R-3,Zo\xEB,england,100,GBP,3\n\
            R-4,Bob,england,x,GBP,3\n\
            \n\
            \n\
            \"R-5\",\"two\nlines\",england,y,GBP,3\n\
            R-6,Cy,england,z,GBP,3\n";
        assert_eq!(refused_lines(file), [4, 5, 6, 9, 11]);
        let crlf = b"reference,name,region,amount_owed_minor,currency,days_in_arrears\r\n\
            R-1,,england,100,GBP,3\r\n\r\nR-2,,england,100,GBP,3\r\n";
        assert_eq!(refused_lines(crlf), [2, 4]);
        let unterminated = b"reference,name,region,amount_owed_minor,currency,days_in_arrears\n\
            R-1,,england,100,GBP,3\n\nR-2,,england,100,GBP,3";
        assert_eq!(refused_lines(unterminated), [2, 4]);
    }

    #[test]
    fn refused_rows_go_to_the_writers_a_chunk_at_a_time() {
        let mut file =
            b"reference,name,region,amount_owed_minor,currency,days_in_arrears\n".to_vec();
        for i in 0..=CHUNK {
            file.extend_from_slice(format!("R-{i},,england,100,GBP,3\n").as_bytes());
        }
        let (mut reader, columns) = open(file.as_slice()).unwrap();
        let (sender, receiver) = std::sync::mpsc::sync_channel(8);
        parse_chunks(&mut reader, &columns, &sender).unwrap();
        drop(sender);
        let refused: Vec<usize> = receiver.iter().map(|parsed| parsed.errors.len()).collect();
        assert_eq!(refused, [CHUNK, 1]);
    }

    #[test]
    fn several_zones_share_one_cell() {
        let headers = csv::StringRecord::from([REQUIRED.as_slice(), &["other_timezones"]].concat());
        let mut cells = vec![""; REQUIRED.len()];
        cells.push("America/New_York; Asia/Kolkata");
        let record = csv::StringRecord::from(cells);
        let request = request_from(&Columns::of(&headers).unwrap(), &record);
        assert_eq!(
            request.other_timezones,
            Some(vec![
                "America/New_York".to_string(),
                "Asia/Kolkata".to_string()
            ])
        );
    }

    #[test]
    fn rows_become_requests_by_header_name_in_any_order_and_case() {
        let headers = csv::StringRecord::from(vec![
            " Currency",
            "reference",
            "NAME",
            "Region",
            "days_in_arrears",
            "AMOUNT_OWED_MINOR",
        ]);
        let record = csv::StringRecord::from(vec!["GBP", "R-1", "Zoë Ångström", "", "", ""]);
        let request = request_from(&Columns::of(&headers).unwrap(), &record);
        assert_eq!(request.reference, "R-1");
        assert_eq!(request.name, "Zoë Ångström");
        assert_eq!(request.currency, "GBP");
        assert!(request.email.is_none());
    }

    #[test]
    fn a_header_row_without_required_columns_names_them_and_the_optional_ones() {
        let headers = csv::StringRecord::from(vec!["reference", "name", "region", "notes"]);
        let Err(AppError::Validation { message, .. }) = Columns::of(&headers) else {
            panic!("missing columns accepted");
        };
        assert!(
            message.contains("missing: amount_owed_minor, currency, days_in_arrears."),
            "{message}"
        );
        assert!(message.contains("optionally email, phone, timezone, other_timezones, notes, circumstances, preferred_contact_times."), "{message}");
    }
}
