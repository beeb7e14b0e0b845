package mirror

import "strings"

// The distribution spec's grammar for repository names and tags, matched
// by hand: every request checks its name and tag, and the regexps were
// 6% of a warm manifest hit's CPU. names_grammar_test.go holds the
// regexps as the spec these matchers are checked against.
//
//	name      = component ("/" component)*
//	component = [a-z0-9]+ ((\. | _ | __ | -+) [a-z0-9]+)*
//	tag       = [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
const maxTagLength = 128

func validRepoName(name string) bool {
	for {
		component, rest, more := strings.Cut(name, "/")
		if !validComponent(component) {
			return false
		}
		if !more {
			return true
		}
		name = rest
	}
}

// validComponent reads alternating runs: lower-case letters and digits,
// then one separator, and must end on a run of letters and digits.
func validComponent(s string) bool {
	i := 0
	for {
		j := i
		for j < len(s) && isLowerAlnum(s[j]) {
			j++
		}
		if j == i {
			return false // empty, or two separators in a row
		}
		if j == len(s) {
			return true
		}
		i = afterSeparator(s, j)
		if i < 0 {
			return false
		}
	}
}

// afterSeparator returns where the separator at s[i] ends, or -1 if s[i]
// starts none.
func afterSeparator(s string, i int) int {
	switch s[i] {
	case '.':
		return i + 1
	case '_':
		if i+1 < len(s) && s[i+1] == '_' {
			return i + 2
		}
		return i + 1
	case '-':
		for i < len(s) && s[i] == '-' {
			i++
		}
		return i
	}
	return -1
}

func validTag(tag string) bool {
	if tag == "" || len(tag) > maxTagLength || tag[0] == '.' || tag[0] == '-' {
		return false
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; !isLowerAlnum(c) && !('A' <= c && c <= 'Z') && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
