//! Timestamp recognition: the leading timestamp of a text line in the common
//! real formats (ISO 8601 and its many relatives, syslog, Apache/ctime, nginx,
//! common log format, glog, Android, Hadoop/HDFS, Spark, epoch numbers), whole
//! timestamp values of JSON/logfmt fields, and epoch numbers of any unit.
//!
//! Everything is hand-written byte scanning: this runs on every line, and a
//! regex per format would cost more than the rest of parsing together. Naive
//! times are read in the configured [`Zone`]; times without a year (syslog,
//! Android, glog) get the year of the read time, or the previous one when that
//! would put them in the future. Anything out of range (year 0, year 99999,
//! epoch numbers beyond year 2200) is "no timestamp", never a panic.

use chrono::{NaiveDate, Offset, TimeZone};

use super::Zone;
use crate::record::{Level, Micros};

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;
/// Slack before a year-less time counts as "in the future" (clock skew, zones).
const FUTURE_SLACK: i64 = 2 * SECS_PER_DAY * MICROS_PER_SEC;

/// A timestamp found in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// None when only a level was found (a syslog `<PRI>` without a time).
    pub time: Option<Micros>,
    /// Byte range of the timestamp in the line (brackets included).
    pub start: usize,
    pub end: usize,
    /// Some formats carry the level too (glog `E0102 …`, syslog `<3>`).
    pub level: Option<Level>,
}

/// A broken-down time as written, before zone resolution.
#[derive(Debug, Clone, Copy, Default)]
struct Stamp {
    /// None: the format has no year (syslog, Android, glog).
    year: Option<i32>,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
    /// Seconds east of UTC when the text names a zone.
    offset: Option<i32>,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The UTC year of a time in microseconds.
fn year_of(t: Micros) -> i32 {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| chrono::Datelike::year(&d))
        .unwrap_or(1970)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl Stamp {
    fn resolve(&self, zone: &Zone, now: Micros) -> Option<Micros> {
        if !(1..=12).contains(&self.month)
            || self.day == 0
            || self.hour > 23
            || self.minute > 59
            || self.second > 60
        {
            return None;
        }
        match self.year {
            Some(y) => self.at_year(y, zone),
            None => {
                let y = year_of(now);
                // Feb 29 of a year-less stamp may only exist in the previous year.
                match self.at_year(y, zone) {
                    Some(t) if t <= now.saturating_add(FUTURE_SLACK) => Some(t),
                    _ => self.at_year(y - 1, zone),
                }
            }
        }
    }

    fn at_year(&self, y: i32, zone: &Zone) -> Option<Micros> {
        if !(1..=9999).contains(&y) || self.day > days_in_month(y, self.month) {
            return None;
        }
        let second = self.second.min(59);
        let local = days_from_civil(i64::from(y), self.month, self.day) * SECS_PER_DAY
            + i64::from(self.hour * 3600 + self.minute * 60 + second);
        let offset = match self.offset {
            Some(o) => i64::from(o),
            None => i64::from(zone_offset(zone, y, self, second)?),
        };
        Some((local - offset) * MICROS_PER_SEC + i64::from(self.micros))
    }
}

/// Offset (seconds east) of `zone` at a naive local time. In a DST gap the
/// offset before the gap is used; in an overlap the earlier instant.
fn zone_offset(zone: &Zone, y: i32, s: &Stamp, second: u32) -> Option<i32> {
    fn of<Tz: TimeZone>(tz: &Tz, ndt: &chrono::NaiveDateTime) -> i32 {
        match tz.offset_from_local_datetime(ndt) {
            chrono::LocalResult::Single(o) | chrono::LocalResult::Ambiguous(o, _) => {
                o.fix().local_minus_utc()
            }
            chrono::LocalResult::None => tz.offset_from_utc_datetime(ndt).fix().local_minus_utc(),
        }
    }
    match zone {
        Zone::Utc => Some(0),
        Zone::Local | Zone::Named(_) => {
            // Zone rules change on hour boundaries (nearly everywhere), and lines come in time
            // order: the offset of the last local hour is nearly always the
            // answer, without a walk through the zone's transitions.
            thread_local! {
                static LAST: std::cell::Cell<Option<(Zone, i64, i32)>> =
                    const { std::cell::Cell::new(None) };
            }
            let hour = days_from_civil(i64::from(y), s.month, s.day) * 24 + i64::from(s.hour);
            if let Some((z, h, o)) = LAST.get()
                && z == *zone
                && h == hour
            {
                return Some(o);
            }
            let ndt = NaiveDate::from_ymd_opt(y, s.month, s.day)?
                .and_hms_opt(s.hour, s.minute, second)?;
            let o = match zone {
                Zone::Named(tz) => of(tz, &ndt),
                _ => of(&chrono::Local, &ndt),
            };
            LAST.set(Some((*zone, hour, o)));
            Some(o)
        }
    }
}

// ---------------------------------------------------------------- epochs

/// Earliest and latest plausible epoch times: 1971 … 2200.
const EPOCH_MIN: Micros = 31_536_000 * MICROS_PER_SEC;
const EPOCH_MAX: Micros = 7_258_118_400 * MICROS_PER_SEC;

/// An epoch number whose unit is guessed from its magnitude: seconds below
/// 10^11, milliseconds below 10^14, microseconds below 10^17, else
/// nanoseconds. None when the result is not between 1971 and 2200.
pub fn from_epoch_int(v: i64) -> Option<Micros> {
    let a = v.unsigned_abs();
    let t = if a < 100_000_000_000 {
        v.checked_mul(MICROS_PER_SEC)?
    } else if a < 100_000_000_000_000 {
        v.checked_mul(1000)?
    } else if a < 100_000_000_000_000_000 {
        v
    } else {
        v / 1000
    };
    (EPOCH_MIN..=EPOCH_MAX).contains(&t).then_some(t)
}

/// A fractional epoch number (unit guessed as for [`from_epoch_int`]).
pub fn from_epoch_f64(v: f64) -> Option<Micros> {
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    let t = if a < 1e11 {
        v * 1e6
    } else if a < 1e14 {
        v * 1e3
    } else if a < 1e17 {
        v
    } else {
        v / 1e3
    };
    let t = t.round();
    if !(EPOCH_MIN as f64..=EPOCH_MAX as f64).contains(&t) {
        return None;
    }
    Some(t as i64)
}

/// An epoch number written as text: digits with an optional fraction.
pub fn from_epoch_str(s: &str) -> Option<Micros> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let int_len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if int_len == 0 || int_len > 19 {
        return None;
    }
    if int_len == digits.len() {
        let v: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
        return from_epoch_int(if neg { -v } else { v });
    }
    if digits[int_len] != b'.' || !digits[int_len + 1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.parse::<f64>().ok().and_then(from_epoch_f64)
}

// ---------------------------------------------------------------- scanning

/// Exactly `n` ASCII digits at `i`.
#[inline]
fn num(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// One or two digits at `i`; returns the value and the end.
#[inline]
fn num12(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let d0 = *b.get(i)?;
    if !d0.is_ascii_digit() {
        return None;
    }
    match b.get(i + 1) {
        Some(d1) if d1.is_ascii_digit() => {
            if b.get(i + 2).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), i + 2))
        }
        _ => Some((u32::from(d0 - b'0'), i + 1)),
    }
}

#[inline]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

#[inline]
fn digit_run(b: &[u8], i: usize) -> usize {
    b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// A three-letter English month name (case-insensitive), not followed by a
/// letter; full names are accepted too.
fn month(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let s = b.get(i..i + 3)?;
    let l = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    const NAMES: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let m = NAMES.iter().position(|n| **n == l)? as u32 + 1;
    let rest = b[i + 3..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    // "Sept", "June", "January" …; but not "Mayday".
    if rest != 0 && !(rest <= 6 && full_month_ok(m, &b[i..i + 3 + rest])) {
        return None;
    }
    Some((m, i + 3 + rest))
}

fn full_month_ok(m: u32, word: &[u8]) -> bool {
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let full = FULL[(m - 1) as usize].as_bytes();
    word.eq_ignore_ascii_case(full) || (m == 9 && word.eq_ignore_ascii_case(b"sept"))
}

/// A three-letter weekday name followed by a non-letter.
fn weekday(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 3)?;
    const NAMES: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
    let l = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    NAMES.iter().position(|n| **n == l)?;
    let rest = b[i + 3..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    // "Monday", "Tues", "Thursday" …
    (rest == 0 || (3..=6).contains(&rest) || rest == 1).then_some(i + 3 + rest)
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while at(b, i) == b' ' {
        i += 1;
    }
    i
}

/// `H:MM[:SS][frac]` (or with `sep` instead of `:`); frac after `.` or `,`
/// (or `:` for three digits, as HealthApp writes milliseconds).
fn clock(b: &[u8], i: usize, sep: u8, stamp: &mut Stamp, need_secs: bool) -> Option<usize> {
    let (h, mut j) = num12(b, i)?;
    if at(b, j) != sep {
        return None;
    }
    let mi = num(b, j + 1, 2)?;
    j += 3;
    let mut s = 0;
    if at(b, j) == sep && at(b, j + 1).is_ascii_digit() {
        s = num(b, j + 1, 2)?;
        j += 3;
    } else if need_secs {
        return None;
    }
    stamp.hour = h;
    stamp.minute = mi;
    stamp.second = s;
    j = fraction(b, j, stamp);
    Some(j)
}

fn fraction(b: &[u8], j: usize, stamp: &mut Stamp) -> usize {
    let c = at(b, j);
    let n = digit_run(b, j + 1);
    let ok = match c {
        b'.' | b',' => n > 0,
        b':' => n == 3,
        _ => false,
    };
    if !ok {
        return j;
    }
    let mut micros = 0u32;
    for k in 0..6 {
        micros *= 10;
        if k < n {
            micros += u32::from(b[j + 1 + k] - b'0');
        }
    }
    stamp.micros = micros;
    j + 1 + n
}

/// `AM`/`PM` after a clock (12-hour times).
fn meridiem(b: &[u8], j: usize, stamp: &mut Stamp) -> usize {
    let k = skip_spaces(b, j);
    if k > j + 1 {
        return j;
    }
    let w = [
        at(b, k).to_ascii_lowercase(),
        at(b, k + 1).to_ascii_lowercase(),
    ];
    if (w == *b"am" || w == *b"pm") && !at(b, k + 2).is_ascii_alphanumeric() {
        if stamp.hour > 12 || stamp.hour == 0 {
            return j;
        }
        if w == *b"pm" && stamp.hour != 12 {
            stamp.hour += 12;
        } else if w == *b"am" && stamp.hour == 12 {
            stamp.hour = 0;
        }
        return k + 2;
    }
    j
}

/// A zone after a time: `Z`, `±HH:MM`, `±HHMM`, `±HH`, or (after one space)
/// `UTC`, `GMT`, `Z`, `±HHMM`.
fn zone_suffix(b: &[u8], j: usize, stamp: &mut Stamp) -> usize {
    let (k, spaced) = if at(b, j) == b' ' {
        (j + 1, true)
    } else {
        (j, false)
    };
    let c = at(b, k);
    if (c == b'Z' || c == b'z') && !at(b, k + 1).is_ascii_alphanumeric() {
        stamp.offset = Some(0);
        return k + 1;
    }
    if spaced {
        let w = b.get(k..k + 3);
        if (w == Some(b"UTC") || w == Some(b"GMT")) && !at(b, k + 3).is_ascii_alphanumeric() {
            stamp.offset = Some(0);
            return k + 3;
        }
    }
    if c == b'+' || c == b'-' {
        let sign = if c == b'-' { -1 } else { 1 };
        let Some(hh) = num(b, k + 1, 2) else {
            return j;
        };
        let (mm, end) = if at(b, k + 3) == b':' {
            match num(b, k + 4, 2) {
                Some(mm) => (mm, k + 6),
                None => return j,
            }
        } else if let Some(mm) = num(b, k + 3, 2) {
            (mm, k + 5)
        } else if !spaced {
            (0, k + 3)
        } else {
            return j;
        };
        if at(b, end).is_ascii_digit() || hh > 14 || mm > 59 {
            return j;
        }
        stamp.offset = Some(sign * (hh as i32 * 3600 + mm as i32 * 60));
        return end;
    }
    j
}

/// A 4-digit year followed by a non-digit.
fn year4(b: &[u8], i: usize) -> Option<i32> {
    let y = num(b, i, 4)?;
    (!at(b, i + 4).is_ascii_digit()).then_some(y as i32)
}

/// The timestamp starting exactly at `i`, if any: its stamp and end.
fn parse_at(b: &[u8], i: usize, level: &mut Option<Level>) -> Option<(Stamp, usize)> {
    let c = at(b, i);
    let mut st = Stamp::default();
    if c.is_ascii_digit() {
        let n = digit_run(b, i);
        let sep = at(b, i + n);
        match n {
            4 if matches!(sep, b'-' | b'/' | b'.') => {
                // YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD then a time.
                st.year = Some(num(b, i, 4)? as i32);
                let (mo, j) = num12(b, i + 5)?;
                if at(b, j) != sep {
                    return None;
                }
                let (d, j) = num12(b, j + 1)?;
                st.month = mo;
                st.day = d;
                let t = at(b, j);
                let (tsep, k) = match t {
                    b'T' | b't' | b'_' | b':' => (b':', j + 1),
                    b' ' => (b':', skip_spaces(b, j)),
                    // BGL: 2005-06-03-15.42.50.675872
                    b'-' if at(b, j + 3) == b'.' => (b'.', j + 1),
                    b'-' => (b':', j + 1),
                    _ => return None,
                };
                let e = clock(b, k, tsep, &mut st, false)?;
                let e = zone_suffix(b, e, &mut st);
                Some((st, e))
            }
            8 => {
                // YYYYMMDD[T-  ]HH:MM:SS or basic ISO YYYYMMDDTHHMMSS.
                let y = num(b, i, 4)? as i32;
                if !(1900..=2200).contains(&y) {
                    return None;
                }
                st.year = Some(y);
                st.month = num(b, i + 4, 2)?;
                st.day = num(b, i + 6, 2)?;
                let k = i + 9;
                let e = if matches!(sep, b'T' | b't') && digit_run(b, k) >= 6 {
                    st.hour = num(b, k, 2)?;
                    st.minute = num(b, k + 2, 2)?;
                    st.second = num(b, k + 4, 2)?;
                    fraction(b, k + 6, &mut st)
                } else if matches!(sep, b'T' | b't' | b'-' | b' ') {
                    clock(b, k, b':', &mut st, true)?
                } else {
                    return None;
                };
                {
                    let e = zone_suffix(b, e, &mut st);
                    Some((st, e))
                }
            }
            6 if sep == b' ' && digit_run(b, i + 7) == 6 => {
                // HDFS: YYMMDD HHMMSS
                st.year = Some(2000 + num(b, i, 2)? as i32);
                st.month = num(b, i + 2, 2)?;
                st.day = num(b, i + 4, 2)?;
                st.hour = num(b, i + 7, 2)?;
                st.minute = num(b, i + 9, 2)?;
                st.second = num(b, i + 11, 2)?;
                Some((st, i + 13))
            }
            1 | 2 => {
                let (a, j) = num12(b, i)?;
                match sep {
                    b'/' if at(b, j + 1).is_ascii_alphabetic() => {
                        // Common log format: 10/Oct/2000:13:55:36 -0700
                        let (mo, k) = month(b, j + 1)?;
                        if at(b, k) != b'/' {
                            return None;
                        }
                        st.year = Some(year4(b, k + 1)?);
                        st.month = mo;
                        st.day = a;
                        if at(b, k + 5) != b':' {
                            return None;
                        }
                        let e = clock(b, k + 6, b':', &mut st, true)?;
                        {
                            let e = zone_suffix(b, e, &mut st);
                            Some((st, e))
                        }
                    }
                    b'/' | b'.' | b'-' => {
                        let (m2, k) = num12(b, j + 1)?;
                        if at(b, k) == sep && at(b, k + 1).is_ascii_digit() {
                            let yn = digit_run(b, k + 1);
                            let third = num(b, k + 1, yn)?;
                            if yn == 4 {
                                // US MM/DD/YYYY, or DD/MM/YYYY and DD.MM.YYYY.
                                st.year = Some(third as i32);
                                if sep == b'/' && a <= 12 {
                                    (st.month, st.day) = (a, m2);
                                } else {
                                    (st.month, st.day) = (m2, a);
                                }
                            } else if yn == 2 && sep != b'.' {
                                // Spark: YY/MM/DD
                                st.year = Some(2000 + a as i32);
                                (st.month, st.day) = (m2, third);
                            } else {
                                return None;
                            }
                            let t = at(b, k + 1 + yn);
                            if !matches!(t, b' ' | b':' | b'T') {
                                return None;
                            }
                            let e = clock(b, k + 2 + yn, b':', &mut st, false)?;
                            let e = meridiem(b, e, &mut st);
                            {
                                let e = zone_suffix(b, e, &mut st);
                                Some((st, e))
                            }
                        } else if at(b, k) == b' ' && sep != b'/' {
                            // Android MM-DD HH:MM:SS.mmm, Proxifier MM.DD HH:MM:SS
                            (st.month, st.day) = (a, m2);
                            let e = clock(b, skip_spaces(b, k), b':', &mut st, true)?;
                            Some((st, e))
                        } else {
                            None
                        }
                    }
                    b' ' if at(b, j + 1).is_ascii_alphabetic() => {
                        // 04 Dec 2005 04:47:44 [zone]
                        let (mo, k) = month(b, j + 1)?;
                        day_month_year_time(b, a, mo, k, &mut st)
                    }
                    _ => None,
                }
            }
            10 | 13 | 16 | 19 => {
                // Epoch numbers (seconds may carry a fraction).
                let end = i + n;
                let after = at(b, end);
                if after.is_ascii_alphabetic() || after == b'_' {
                    return None;
                }
                let v: i64 = std::str::from_utf8(&b[i..end]).ok()?.parse().ok()?;
                let mut t = from_epoch_int(v)?;
                let mut e = end;
                if n == 10 && after == b'.' {
                    let f = digit_run(b, end + 1);
                    if f > 0 {
                        let mut tmp = Stamp::default();
                        fraction(b, end, &mut tmp);
                        t += i64::from(tmp.micros);
                        e = end + 1 + f;
                    }
                }
                // Only plausible log times: 1995 … 2100.
                if !(788_918_400_000_000..=4_102_444_800_000_000).contains(&t) {
                    return None;
                }
                // Encode as a UTC stamp so one code path resolves it.
                let secs = t.div_euclid(MICROS_PER_SEC);
                let dt = chrono::DateTime::from_timestamp(secs, 0)?;
                use chrono::{Datelike, Timelike};
                st.year = Some(dt.year());
                st.month = dt.month();
                st.day = dt.day();
                st.hour = dt.hour();
                st.minute = dt.minute();
                st.second = dt.second();
                st.micros = t.rem_euclid(MICROS_PER_SEC) as u32;
                st.offset = Some(0);
                Some((st, e))
            }
            _ => None,
        }
    } else if c.is_ascii_alphabetic() {
        // glog/klog: E0102 15:04:05.123456
        if matches!(c, b'I' | b'W' | b'E' | b'F')
            && digit_run(b, i + 1) == 4
            && at(b, i + 5) == b' '
        {
            st.month = num(b, i + 1, 2)?;
            st.day = num(b, i + 3, 2)?;
            let e = clock(b, i + 6, b':', &mut st, true)?;
            *level = Level::from_name(std::str::from_utf8(&b[i..i + 1]).ok()?);
            return Some((st, e));
        }
        if let Some((mo, k)) = month(b, i) {
            // Syslog "Jun 14 15:16:01", "Jun  4 …", "Jan 01, 2024 10:00:00 AM",
            // "Jan 01 2024 10:00:00", optionally followed by a year.
            if at(b, k) != b' ' {
                return None;
            }
            let (d, mut j) = num12(b, skip_spaces(b, k))?;
            if at(b, j) == b',' {
                j += 1;
            }
            if at(b, j) != b' ' {
                return None;
            }
            j += 1;
            st.month = mo;
            st.day = d;
            if let Some(y) = year4(b, j)
                && at(b, j + 4) == b' '
            {
                st.year = Some(y);
                j += 5;
            }
            let e = clock(b, j, b':', &mut st, true)?;
            let e = meridiem(b, e, &mut st);
            let mut e = zone_suffix(b, e, &mut st);
            if st.year.is_none()
                && at(b, e) == b' '
                && let Some(y) = year4(b, e + 1)
                && (1970..=2200).contains(&y)
                && !at(b, e + 5).is_ascii_alphanumeric()
                && at(b, e + 5) != b':'
            {
                st.year = Some(y);
                e += 5;
            }
            return Some((st, e));
        }
        let k = weekday(b, i)?;
        let k = if at(b, k) == b',' { k + 1 } else { k };
        if at(b, k) != b' ' {
            return None;
        }
        let k = k + 1;
        if let Some((mo, j)) = month(b, k) {
            // ctime / Apache: Sun Dec 04 04:47:44 2005
            if at(b, j) != b' ' {
                return None;
            }
            let (d, j) = num12(b, skip_spaces(b, j))?;
            if at(b, j) != b' ' {
                return None;
            }
            st.month = mo;
            st.day = d;
            let e = clock(b, j + 1, b':', &mut st, true)?;
            let e = zone_suffix(b, e, &mut st);
            if at(b, e) != b' ' {
                return None;
            }
            st.year = Some(year4(b, e + 1)?);
            Some((st, e + 5))
        } else {
            // RFC 2822: Sun, 04 Dec 2005 04:47:44 GMT
            let (d, j) = num12(b, k)?;
            if at(b, j) != b' ' {
                return None;
            }
            let (mo, j) = month(b, j + 1)?;
            day_month_year_time(b, d, mo, j, &mut st)
        }
    } else {
        None
    }
}

/// After "DD Mon": ` YYYY HH:MM:SS [zone]` (also `-YYYY ` / `-YYYY:`).
fn day_month_year_time(
    b: &[u8],
    d: u32,
    mo: u32,
    k: usize,
    st: &mut Stamp,
) -> Option<(Stamp, usize)> {
    if !matches!(at(b, k), b' ' | b'-') {
        return None;
    }
    st.year = Some(year4(b, k + 1)?);
    st.month = mo;
    st.day = d;
    if !matches!(at(b, k + 5), b' ' | b':') {
        return None;
    }
    let e = clock(b, k + 6, b':', st, true)?;
    let e = zone_suffix(b, e, st);
    Some((*st, e))
}

/// How far into a line a timestamp may start (after a prefix like a host,
/// a file name or a bracket).
const SEARCH_BYTES: usize = 100;
/// How many whitespace-separated tokens may come before the timestamp.
const SEARCH_TOKENS: usize = 3;

/// Finds the timestamp at or near the start of a line: at the start (after a
/// syslog `<PRI>` and an opening bracket), at one of the first few tokens, or
/// after an early `[` (common log format). `now` is the read time (for the
/// year of year-less formats). A syslog `<PRI>` alone gives a level and no time.
pub fn find_leading(line: &[u8], zone: &Zone, now: Micros) -> Option<Found> {
    let mut level = None;
    let mut i = 0;
    while matches!(at(line, i), b' ' | b'\t') {
        i += 1;
    }
    // Syslog priority: <PRI> = facility * 8 + severity, optional version "1 ".
    if at(line, i) == b'<' {
        let n = digit_run(line, i + 1);
        if (1..=3).contains(&n) && at(line, i + 1 + n) == b'>' {
            let pri: u32 = num(line, i + 1, n)?;
            level = Some(syslog_level(pri % 8));
            i += n + 2;
            if at(line, i) == b'1' && at(line, i + 1) == b' ' {
                i += 2;
            }
        }
    }
    let limit = line.len().min(i + SEARCH_BYTES);
    // Tokens seen so far; whether the first one looks like a word of prose
    // (then a later bare number is a count, not an epoch).
    let mut tokens = 0;
    let mut first_has_lower = false;
    let mut j = i;
    while j < limit {
        let c = line[j];
        let token_start =
            (j == i || matches!(line[j - 1], b' ' | b'\t')) && !matches!(c, b' ' | b'\t');
        if token_start {
            tokens += 1;
            if tokens == 1 {
                first_has_lower = line[j..limit]
                    .iter()
                    .take_while(|c| !matches!(c, b' ' | b'\t'))
                    .any(u8::is_ascii_lowercase);
            }
        }
        if (token_start && tokens <= SEARCH_TOKENS + 1) || c == b'[' {
            let p = if matches!(c, b'[' | b'(') { j + 1 } else { j };
            let epoch_ok = tokens == 1 || (tokens == 2 && !first_has_lower);
            let mut lv = None;
            if let Some((st, end)) = parse_at(line, p, &mut lv)
                && (epoch_ok || !is_epoch(line, p))
                && !at(line, end).is_ascii_alphanumeric()
                && let Some(t) = st.resolve(zone, now)
            {
                let end = if p > j && matches!(at(line, end), b']' | b')') {
                    end + 1
                } else {
                    end
                };
                return Some(Found {
                    time: Some(t),
                    start: j,
                    end,
                    level: level.or(lv),
                });
            }
        }
        j += 1;
    }
    level.map(|l| Found {
        time: None,
        start: 0,
        end: i,
        level: Some(l),
    })
}

/// Whether the timestamp at `i` is a bare epoch number.
fn is_epoch(b: &[u8], i: usize) -> bool {
    matches!(digit_run(b, i), 10 | 13 | 16 | 19)
}

/// Syslog severities 0–7.
pub fn syslog_level(sev: u32) -> Level {
    match sev {
        0..=2 => Level::Critical,
        3 => Level::Error,
        4 => Level::Warn,
        5 | 6 => Level::Info,
        _ => Level::Debug,
    }
}

/// A whole string that is a timestamp (a JSON or logfmt time field): any of
/// the text formats, or an epoch number.
pub fn parse_value(s: &str, zone: &Zone, now: Micros) -> Option<Micros> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    if b.iter()
        .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && digit_run(b, usize::from(b[0] == b'-')) != 4
    {
        return from_epoch_str(s);
    }
    let mut lv = None;
    let (st, end) = parse_at(b, 0, &mut lv)?;
    if end != b.len() {
        return None;
    }
    st.resolve(zone, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::format_time;

    // 2024-06-15T12:00:00Z
    const NOW: Micros = 1_718_452_800_000_000;

    fn lead(s: &str) -> Option<String> {
        find_leading(s.as_bytes(), &Zone::Utc, NOW)
            .and_then(|f| f.time)
            .map(format_time)
    }

    #[test]
    fn common_formats_are_read() {
        for (line, want) in [
            (
                "2015-10-18 18:01:47,978 INFO [main] x",
                "2015-10-18T18:01:47.978000Z",
            ),
            ("2024-01-02T03:04:05Z msg", "2024-01-02T03:04:05.000000Z"),
            (
                "2024-01-02T03:04:05.123456789+02:00 msg",
                "2024-01-02T01:04:05.123456Z",
            ),
            (
                "2024-01-02 03:04:05 +0100 msg",
                "2024-01-02T02:04:05.000000Z",
            ),
            (
                "2016-09-28 04:30:30, Info   CBS",
                "2016-09-28T04:30:30.000000Z",
            ),
            (
                "2015-07-29 17:41:44,747 - INFO  [x]",
                "2015-07-29T17:41:44.747000Z",
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [notice] x",
                "2005-12-04T04:47:44.000000Z",
            ),
            (
                "2024/01/02 03:04:05 [error] 12#0: x",
                "2024-01-02T03:04:05.000000Z",
            ),
            (
                "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200",
                "2000-10-10T20:55:36.000000Z",
            ),
            (
                "Jun 14 15:16:01 combo sshd[1]: x",
                "2024-06-14T15:16:01.000000Z",
            ),
            ("Dec 31 23:59:59 host x", "2023-12-31T23:59:59.000000Z"),
            ("Jul  1 09:00:55 host x", "2023-07-01T09:00:55.000000Z"),
            (
                "E0102 15:04:05.123456 1 a.go:1] x",
                "2024-01-02T15:04:05.123456Z",
            ),
            (
                "03-17 16:13:38.811  1702  2395 D Tag: x",
                "2024-03-17T16:13:38.811000Z",
            ),
            (
                "081109 203615 148 INFO dfs.DataNode: x",
                "2008-11-09T20:36:15.000000Z",
            ),
            (
                "17/06/09 20:10:40 INFO executor: x",
                "2017-06-09T20:10:40.000000Z",
            ),
            (
                "20171223-22:15:29:606|Step|30002312|x",
                "2017-12-23T22:15:29.606000Z",
            ),
            ("1700000000 something", "2023-11-14T22:13:20.000000Z"),
            ("1700000000.25 something", "2023-11-14T22:13:20.250000Z"),
            ("1700000000123 something", "2023-11-14T22:13:20.123000Z"),
            (
                "- 1117838570 2005.06.03 R02-M1-N0 RAS KERNEL INFO x",
                "2005-06-03T22:42:50.000000Z",
            ),
            (
                "nova-api.log.1 2017-05-16 00:00:00.008 25746 INFO x",
                "2017-05-16T00:00:00.008000Z",
            ),
            (
                "Sun, 04 Dec 2005 04:47:44 GMT x",
                "2005-12-04T04:47:44.000000Z",
            ),
            (
                "<34>1 2024-01-02T03:04:05.5Z host app",
                "2024-01-02T03:04:05.500000Z",
            ),
            (
                "Jan 02, 2024 3:04:05 PM com.x.Y main",
                "2024-01-02T15:04:05.000000Z",
            ),
            (
                "E, [2024-01-02T03:04:05.123 #1] ERROR -- : x",
                "2024-01-02T03:04:05.123000Z",
            ),
            ("01/02/2024 03:04:05 PM x", "2024-01-02T15:04:05.000000Z"),
        ] {
            assert_eq!(lead(line).as_deref(), Some(want), "{line}");
        }
    }

    #[test]
    fn non_times_are_not_read() {
        for line in [
            "hello world",
            "99999-01-01 00:00:00 x",
            "2024-13-01 00:00:00 x",
            "2023-02-29 00:00:00 x",
            "12345 items processed",
            "9999999999999999999 big",
            "0000-01-01 00:00:00 zero year",
            "2024-01-01 no time",
            "1.2.3.4 - - x",
            "took 1700000000 ms",
            "a b c d e 2024-01-01 12:00:00 too late in the line",
        ] {
            assert_eq!(lead(line), None, "{line}");
        }
    }

    #[test]
    fn naive_times_use_the_zone() {
        let tz = Zone::Named(chrono_tz::Europe::Paris);
        let f = find_leading(b"2024-01-02 03:04:05 x", &tz, NOW).unwrap();
        assert_eq!(format_time(f.time.unwrap()), "2024-01-02T02:04:05.000000Z");
        let f = find_leading(b"2024-07-02 03:04:05 x", &tz, NOW).unwrap();
        assert_eq!(format_time(f.time.unwrap()), "2024-07-02T01:04:05.000000Z");
        // An explicit zone wins over the configured one.
        let f = find_leading(b"2024-07-02T03:04:05Z x", &tz, NOW).unwrap();
        assert_eq!(format_time(f.time.unwrap()), "2024-07-02T03:04:05.000000Z");
    }

    #[test]
    fn levels_come_with_some_formats() {
        let f = find_leading(b"W0102 15:04:05.1 x", &Zone::Utc, NOW).unwrap();
        assert_eq!(f.level, Some(Level::Warn));
        let f = find_leading(b"<11>Jun 14 15:16:01 host x", &Zone::Utc, NOW).unwrap();
        assert_eq!(f.level, Some(Level::Error));
        assert_eq!(format_time(f.time.unwrap()), "2024-06-14T15:16:01.000000Z");
    }

    #[test]
    fn epochs_and_values() {
        let z = Zone::Utc;
        let t = 1_700_000_000_000_000;
        assert_eq!(from_epoch_int(1_700_000_000), Some(t));
        assert_eq!(from_epoch_int(1_700_000_000_000), Some(t));
        assert_eq!(from_epoch_int(1_700_000_000_000_000), Some(t));
        assert_eq!(from_epoch_int(1_700_000_000_000_000_000), Some(t));
        assert_eq!(from_epoch_f64(1_700_000_000.5), Some(t + 500_000));
        assert_eq!(from_epoch_int(i64::MAX), None);
        assert_eq!(from_epoch_int(i64::MIN), None);
        assert_eq!(from_epoch_int(12), None);
        assert_eq!(from_epoch_f64(f64::NAN), None);
        assert_eq!(from_epoch_f64(1e300), None);
        assert_eq!(parse_value("1700000000", &z, NOW), Some(t));
        assert_eq!(parse_value("1700000000.5", &z, NOW), Some(t + 500_000));
        assert_eq!(parse_value("2023-11-14T22:13:20Z", &z, NOW), Some(t));
        assert_eq!(parse_value("2023-11-14 22:13:20", &z, NOW), Some(t));
        assert_eq!(parse_value("99999-11-14T22:13:20Z", &z, NOW), None);
        assert_eq!(parse_value("2023-11-14T22:13:20Z trailing", &z, NOW), None);
        assert_eq!(parse_value("99999999999999999999999", &z, NOW), None);
        assert_eq!(parse_value("", &z, NOW), None);
    }
}
