package deploy

import (
	"regexp"
	"slices"
	"strings"
)

// The parts of a PromQL expression that hold no metric name: strings,
// label matchers, range selectors, and the label lists of grouping clauses.
var (
	quotedRe   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchersRe = regexp.MustCompile(`\{[^}]*\}`)
	rangeRe    = regexp.MustCompile(`\[[^\]]*\]`)
	groupingRe = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	identRe    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// promqlWords are identifiers that are operators or keywords, not metrics.
var promqlWords = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"}

// metricNames returns the metric names an expression selects: every
// identifier that is not a function call, a keyword, a label or part of a
// number or duration.
func metricNames(expr string) []string {
	s := quotedRe.ReplaceAllString(expr, `""`)
	s = matchersRe.ReplaceAllString(s, " ")
	s = rangeRe.ReplaceAllString(s, " ")
	s = groupingRe.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range identRe.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		if partOfNumber(s, loc[0]) || calls(s, loc[1]) || slices.Contains(promqlWords, strings.ToLower(word)) {
			continue
		}
		names = append(names, word)
	}
	return names
}

// partOfNumber says the identifier at i continues a number ("1e3", "5m").
func partOfNumber(s string, i int) bool {
	return i > 0 && (s[i-1] == '.' || s[i-1] >= '0' && s[i-1] <= '9')
}

// calls says the identifier ending at end is a function name.
func calls(s string, end int) bool {
	return strings.HasPrefix(strings.TrimLeft(s[end:], " \t\n"), "(")
}

// histogramSuffixes are the series a histogram exports under its name.
var histogramSuffixes = []string{"_bucket", "_sum", "_count"}

// unknownMetric returns the first name in names that is not a family in
// known (a histogram's series count as their family), or "".
func unknownMetric(names, known []string) string {
	for _, n := range names {
		if !slices.Contains(known, n) && !slices.Contains(known, histogramFamily(n)) {
			return n
		}
	}
	return ""
}

func histogramFamily(series string) string {
	for _, suf := range histogramSuffixes {
		if base, ok := strings.CutSuffix(series, suf); ok {
			return base
		}
	}
	return series
}
