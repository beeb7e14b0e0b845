package mirror

import (
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// The formatting rules of log/slog's handlers (text_handler.go,
// json_handler.go, handler.go in Go's source), redone without
// allocating so AccessLog's lines are the bytes slog would write.

// jsonSafe is slog's (and encoding/json's) set of ASCII bytes a JSON
// string holds as they are: printable ones, except '"' and '\\'.
func jsonSafe(b byte) bool { return b >= 0x20 && b != '"' && b != '\\' }

// textNeedsQuoting is TextHandler's rule: quote an empty string, one with
// a space, '=', a byte JSON would escape (a backslash excepted), invalid
// UTF-8, or a non-printing or space rune.
func textNeedsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b != '\\' && (b == ' ' || b == '=' || !jsonSafe(b)) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendJSONString escapes s as JSONHandler does: \n \r \t \\ \" by
// name, other control bytes as \u00XX, invalid UTF-8 as \ufffd, and
// U+2028/U+2029 as \u2028/\u2029.
func appendJSONString(buf []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if jsonSafe(b) {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			buf = appendJSONEscape(buf, b)
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			buf = append(append(buf, s[start:i]...), `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			buf = append(append(buf, s[start:i]...), `\u202`...)
			buf = append(buf, hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(buf, s[start:]...)
}

func appendJSONEscape(buf []byte, b byte) []byte {
	buf = append(buf, '\\')
	switch b {
	case '\\', '"':
		return append(buf, b)
	case '\n':
		return append(buf, 'n')
	case '\r':
		return append(buf, 'r')
	case '\t':
		return append(buf, 't')
	}
	return append(buf, 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
}

// appendMillis is TextHandler's time: RFC 3339 with exactly three
// fractional digits. RFC3339Nano trims trailing zeros, so a tenth of a
// millisecond is added to keep four digits and the fourth is dropped.
func appendMillis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

// appendDuration appends d.String() without allocating for the
// durations an access line mostly has (under a second: "812ns",
// "123.456µs", "5.2ms"); longer ones take Duration.String.
func appendDuration(b []byte, d time.Duration) []byte {
	if d <= 0 || d >= time.Second {
		return append(b, d.String()...)
	}
	u := uint64(d)
	switch {
	case u < uint64(time.Microsecond):
		return append(strconv.AppendUint(b, u, 10), "ns"...)
	case u < uint64(time.Millisecond):
		return append(appendDecimal(b, u, 1000, 3), "µs"...)
	}
	return append(appendDecimal(b, u, 1000000, 6), "ms"...)
}

// appendDecimal appends u/unit with its fraction (digits places) less
// trailing zeros, and no point for a whole number, as Duration.String.
func appendDecimal(b []byte, u, unit uint64, digits int) []byte {
	b = strconv.AppendUint(b, u/unit, 10)
	frac := u % unit
	if frac == 0 {
		return b
	}
	for frac%10 == 0 {
		frac /= 10
		digits--
	}
	b = append(b, '.')
	start := len(b)
	for range digits {
		b = append(b, '0')
	}
	for i := len(b) - 1; i >= start; i-- {
		b[i] = byte('0' + frac%10)
		frac /= 10
	}
	return b
}
