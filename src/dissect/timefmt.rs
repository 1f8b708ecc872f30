//! Times as tshark prints them: the Time column's formats (`-t`), dates in
//! local time (the `TZ` variable, else the system zone) and in UTC, and the
//! date strings display filters accept for absolute-time fields.

use super::Packet;
use crate::source::Timestamp;
use jiff::tz::TimeZone;
use std::io::Write;
use std::sync::OnceLock;

/// The zone local times are shown in, read once.
fn zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(TimeZone::system)
}

/// The local zone's offset from UTC (seconds) and its abbreviation at `sec`.
/// Times jiff cannot place (beyond ±9999 years) are shown in UTC.
pub fn local_offset(sec: i64) -> (i64, &'static str) {
    match jiff::Timestamp::from_second(sec) {
        Ok(ts) => {
            let info = zone().to_offset_info(ts);
            (
                i64::from(info.offset().seconds()),
                abbreviation(info.abbreviation()),
            )
        }
        Err(_) => (0, "UTC"),
    }
}

/// Abbreviations are few; keep each once for the life of the process, so
/// callers get a `&'static str` without an allocation per packet.
fn abbreviation(s: &str) -> &'static str {
    use std::sync::Mutex;
    static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let Ok(mut seen) = SEEN.lock() else {
        return "";
    };
    if let Some(a) = seen.iter().find(|a| **a == s) {
        return a;
    }
    if seen.len() >= 64 {
        return "";
    }
    let a: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.push(a);
    a
}

/// A UTC (or offset-shifted) second broken into calendar parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    /// Day of the year, 1-based.
    pub yday: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
}

/// Calendar parts of `sec` seconds since the epoch (Howard Hinnant's
/// civil-from-days).
pub fn civil(sec: i64) -> Civil {
    let days = sec.div_euclid(86_400);
    let tod = sec.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let month = m.clamp(1, 12) as u32;
    let yday = BEFORE[month as usize - 1] + d as u32 + u32::from(leap && month > 2);
    Civil {
        year: y,
        month,
        day: d as u32,
        yday,
        hour: (tod / 3600) as u32,
        min: (tod % 3600 / 60) as u32,
        sec: (tod % 60) as u32,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Mon DD, YYYY HH:MM:SS.nnnnnnnnn ZONE` (day space-padded), as tshark
/// prints absolute times: in local time when `local`, else in UTC.
pub fn write_date(w: &mut Vec<u8>, sec: i64, nsec: u32, local: bool) {
    let (off, name) = if local { local_offset(sec) } else { (0, "UTC") };
    let c = civil(sec.saturating_add(off));
    let _ = write!(
        w,
        "{} {:2}, {} {:02}:{:02}:{:02}.{:09} {}",
        MONTHS[c.month as usize - 1],
        c.day,
        c.year,
        c.hour,
        c.min,
        c.sec,
        nsec.min(999_999_999),
        name
    );
}

/// tshark's `-t` formats of the Time column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// `a`: local time of day.
    Absolute,
    /// `ad`: local date (YYYY-MM-DD) and time.
    AbsoluteDate,
    /// `adoy`: local date as YYYY/DOY, and time.
    AbsoluteDoy,
    /// `d`: since the previous captured frame.
    Delta,
    /// `dd`: since the previous displayed frame.
    DeltaDisplayed,
    /// `e`: seconds since the epoch.
    Epoch,
    /// `r`: since the first frame (the default).
    #[default]
    Relative,
    /// `u`: UTC time of day.
    Utc,
    /// `ud`: UTC date and time.
    UtcDate,
    /// `udoy`: UTC date as YYYY/DOY, and time.
    UtcDoy,
}

impl TimeFormat {
    /// tshark's spelling (`a`, `ad`, …, `udoy`).
    pub fn parse(s: &str) -> Option<TimeFormat> {
        use TimeFormat::*;
        Some(match s {
            "a" => Absolute,
            "ad" => AbsoluteDate,
            "adoy" => AbsoluteDoy,
            "d" => Delta,
            "dd" => DeltaDisplayed,
            "e" => Epoch,
            "r" => Relative,
            "u" => Utc,
            "ud" => UtcDate,
            "udoy" => UtcDoy,
            _ => return None,
        })
    }

    /// Column heading width that fits the longest value at nanosecond precision.
    pub fn width(self) -> usize {
        use TimeFormat::*;
        match self {
            Absolute | Utc => 18,
            AbsoluteDate | UtcDate => 29,
            AbsoluteDoy | UtcDoy => 27,
            Epoch => 20,
            Delta | DeltaDisplayed | Relative => 11,
        }
    }
}

/// The fraction of a second at `digits` places (truncated, as Wireshark
/// shows a timestamp at its capture's precision); nothing for 0 digits.
fn write_frac(w: &mut Vec<u8>, nsec: u32, digits: u8) {
    let digits = digits.min(9) as u32;
    if digits == 0 {
        return;
    }
    // All nine digits, the first `digits` kept: divisions by a constant
    // only, and a copy of fixed length (this runs for every row).
    let mut v = nsec.min(999_999_999);
    let mut o = [b'0'; 10];
    o[0] = b'.';
    for k in (1..10).rev() {
        o[k] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let end = w.len() + 1 + digits as usize;
    w.extend_from_slice(&o);
    w.truncate(end);
}

/// Signed seconds at `digits` places (`-0.001000`), as Wireshark shows
/// relative and delta times.
pub fn write_signed(w: &mut Vec<u8>, nanos: i128, digits: u8) {
    if nanos < 0 {
        w.push(b'-');
    }
    let n = nanos.unsigned_abs();
    // 128-bit division is a library call; nearly every value fits 64 bits.
    let nsec = match u64::try_from(n) {
        Ok(n) => {
            super::put::dec(w, n / 1_000_000_000);
            (n % 1_000_000_000) as u32
        }
        Err(_) => {
            w.extend_from_slice(itoa::Buffer::new().format(n / 1_000_000_000).as_bytes());
            (n % 1_000_000_000) as u32
        }
    };
    write_frac(w, nsec, digits);
}

fn write_clock(w: &mut Vec<u8>, c: &Civil, nsec: u32, digits: u8) {
    let _ = write!(w, "{:02}:{:02}:{:02}", c.hour, c.min, c.sec);
    write_frac(w, nsec, digits);
}

/// The packet's Time column in format `f`, as tshark's `_ws.col.Time`.
pub fn write_column(w: &mut Vec<u8>, f: TimeFormat, pkt: &Packet<'_>) {
    let ts = pkt.ts;
    let digits = pkt.ts_digits;
    let since = |t: Timestamp| ts.nanos_since(t);
    use TimeFormat::*;
    match f {
        Relative => write_signed(w, since(pkt.first_ts), digits),
        Delta => write_signed(w, since(pkt.prev_ts), digits),
        DeltaDisplayed => write_signed(w, pkt.prev_shown_ts.map_or(0, since), digits),
        Epoch => write_signed(w, ts.sec as i128 * 1_000_000_000 + ts.nsec as i128, digits),
        Absolute | AbsoluteDate | AbsoluteDoy | Utc | UtcDate | UtcDoy => {
            let local = matches!(f, Absolute | AbsoluteDate | AbsoluteDoy);
            let off = if local { local_offset(ts.sec).0 } else { 0 };
            let c = civil(ts.sec.saturating_add(off));
            match f {
                AbsoluteDate | UtcDate => {
                    let _ = write!(w, "{:04}-{:02}-{:02} ", c.year, c.month, c.day);
                }
                AbsoluteDoy | UtcDoy => {
                    let _ = write!(w, "{:04}/{:03} ", c.year, c.yday);
                }
                _ => {}
            }
            write_clock(w, &c, ts.nsec, digits);
        }
    }
}

/// Parses an absolute time as Wireshark's display filters accept it:
/// `2011-07-04 12:34:56[.frac]` (or with `T`; seconds optional; the date
/// alone) or `Nov 12, 1999 08:55:44[.frac]`, in local time unless it ends
/// in `Z` or ` UTC` (or `utc` is set). Nanoseconds since the epoch.
pub fn parse_abs(s: &str, utc: bool) -> Option<i128> {
    let s = s.trim();
    let (s, utc) = if let Some(r) = s.strip_suffix(" UTC") {
        (r.trim_end(), true)
    } else if let Some(r) = s.strip_suffix('Z') {
        (r, true)
    } else {
        (s, utc)
    };
    let (date, time) = if s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        // `Nov 12, 1999 08:55:44.123`
        let (mon, rest) = s.split_once(' ')?;
        let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as i8 + 1;
        let (day, rest) = rest.trim_start().split_once(',')?;
        let rest = rest.trim_start();
        let (year, time) = rest.split_once(' ').unwrap_or((rest, ""));
        (
            (
                year.parse::<i16>().ok()?,
                month,
                day.trim().parse::<i8>().ok()?,
            ),
            time.trim(),
        )
    } else {
        let (date, time) = match s.split_once(['T', ' ']) {
            Some((d, t)) => (d, t.trim()),
            None => (s, ""),
        };
        let mut p = date.split('-');
        let y = p.next()?.parse::<i16>().ok()?;
        let m = p.next()?.parse::<i8>().ok()?;
        let d = p.next()?.parse::<i8>().ok()?;
        if p.next().is_some() {
            return None;
        }
        ((y, m, d), time)
    };
    let (mut h, mut mi, mut sec, mut nanos) = (0i8, 0i8, 0i8, 0i32);
    if !time.is_empty() {
        let (hms, frac) = match time.split_once('.') {
            Some((a, f)) => (a, Some(f)),
            None => (time, None),
        };
        let mut p = hms.split(':');
        h = p.next()?.parse().ok()?;
        mi = p.next()?.parse().ok()?;
        if let Some(x) = p.next() {
            sec = x.parse().ok()?;
        }
        if p.next().is_some() {
            return None;
        }
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            nanos = format!("{f:0<9}").parse().ok()?;
        }
    }
    let dt = jiff::civil::DateTime::new(date.0, date.1, date.2, h, mi, sec, nanos).ok()?;
    let tz = if utc { TimeZone::UTC } else { zone().clone() };
    let ts = dt.to_zoned(tz).ok()?.timestamp();
    Some(ts.as_nanosecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_seconds_at_each_precision() {
        let f = |n: i128, d: u8| {
            let mut w = Vec::new();
            write_signed(&mut w, n, d);
            String::from_utf8(w).unwrap()
        };
        assert_eq!(f(1_500_000, 6), "0.001500");
        assert_eq!(f(-1_000_000, 6), "-0.001000");
        assert_eq!(f(12_000_000_007, 9), "12.000000007");
        assert_eq!(f(12_999_999_999, 3), "12.999");
        assert_eq!(f(5_000_000_000, 0), "5");
        let big = i128::from(u64::MAX) * 10 + 123_456_789;
        assert_eq!(
            f(big, 9),
            format!("{}.{:09}", big / 1_000_000_000, big % 1_000_000_000)
        );
    }

    #[test]
    fn civil_parts_and_day_of_year() {
        let c = civil(1_700_000_000);
        assert_eq!((c.year, c.month, c.day, c.yday), (2023, 11, 14, 318));
        assert_eq!((c.hour, c.min, c.sec), (22, 13, 20));
        // 2000-12-31 is day 366 of a leap year.
        assert_eq!(civil(978_220_800).yday, 366);
        assert_eq!(civil(0).yday, 1);
    }

    #[test]
    fn signed_times_at_a_precision() {
        let s = |n, d| {
            let mut w = Vec::new();
            write_signed(&mut w, n, d);
            String::from_utf8(w).unwrap()
        };
        assert_eq!(s(1_234_567_891, 6), "1.234567");
        assert_eq!(s(1_234_567_891, 9), "1.234567891");
        assert_eq!(s(-1_000_000, 6), "-0.001000");
        assert_eq!(s(5_500_000_000, 0), "5");
        assert_eq!(s(5_500_000_000, 3), "5.500");
    }

    #[test]
    fn absolute_times_parse_in_utc() {
        let t = 1_700_000_000i128 * 1_000_000_000;
        assert_eq!(parse_abs("2023-11-14 22:13:20", true), Some(t));
        assert_eq!(
            parse_abs("2023-11-14T22:13:20.5Z", false),
            Some(t + 500_000_000)
        );
        assert_eq!(parse_abs("Nov 14, 2023 22:13:20 UTC", false), Some(t));
        assert_eq!(
            parse_abs("2023-11-14 22:13", true),
            Some(t - 20_000_000_000)
        );
        assert_eq!(
            parse_abs("2023-11-14", true),
            Some(t - (22 * 3600 + 13 * 60 + 20) * 1_000_000_000)
        );
        assert_eq!(parse_abs("2023/318 22:13:20", true), None);
        assert_eq!(parse_abs("1700000000", true), None);
        assert_eq!(parse_abs("2023-13-01", true), None);
    }
}
