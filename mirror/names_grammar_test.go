package mirror

import (
	"regexp"
	"strings"
	"testing"
)

// The distribution spec's grammar as its regexps: the hand-written
// matchers of grammar.go must agree with them on every input.
var (
	specComponent = `[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*`
	specRepo      = regexp.MustCompile(`^` + specComponent + `(?:/` + specComponent + `)*$`)
	specTag       = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// Every string of up to 6 characters over an alphabet holding each class
// of the grammar (and the slash, colon and upper case it treats apart).
func TestGrammarMatchesTheSpecRegexps(t *testing.T) {
	const alphabet = "a1.-_/A:"
	var walk func(prefix string)
	walk = func(prefix string) {
		checkGrammar(t, prefix)
		if len(prefix) == 6 {
			return
		}
		for i := range len(alphabet) {
			walk(prefix + alphabet[i:i+1])
		}
	}
	walk("")
	for _, s := range []string{"library/alpine", "a__b", "a___b", "a--b", "a-.b", "ghcr.io/owner/tool", "ab/", "/ab",
		strings.Repeat("t", 128), strings.Repeat("t", 129), "_tag", "v1.2.3-rc.1", "Latest", ".hidden", "-x"} {
		checkGrammar(t, s)
	}
}

func checkGrammar(t *testing.T, s string) {
	t.Helper()
	if got, want := validRepoName(s), specRepo.MatchString(s); got != want {
		t.Fatalf("validRepoName(%q) = %v, the spec says %v", s, got, want)
	}
	if got, want := validTag(s), specTag.MatchString(s); got != want {
		t.Fatalf("validTag(%q) = %v, the spec says %v", s, got, want)
	}
}

func FuzzGrammarMatchesTheSpecRegexps(f *testing.F) {
	for _, s := range []string{"library/alpine", "a__b", "v1.2.3", "a-.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkGrammar(t, s) })
}
