package mirror

import (
	"cmp"
	"slices"
	"sync"
)

// topCounter counts pulls per repository for the status page. Repositories
// never become metric labels (unbounded), so they are counted here, in a
// map capped in size: past the cap, new repositories are not counted.
type topCounter struct {
	mu     sync.Mutex
	limit  int
	counts map[string]int64
}

func newTopCounter(limit int) *topCounter {
	return &topCounter{limit: limit, counts: map[string]int64{}}
}

func (t *topCounter) add(repo string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.counts[repo]; ok || len(t.counts) < t.limit {
		t.counts[repo]++
	}
}

// repoPulls is one repository's pull count.
type repoPulls struct {
	Repository string
	Pulls      int64
}

func (t *topCounter) top(n int) []repoPulls {
	t.mu.Lock()
	out := make([]repoPulls, 0, len(t.counts))
	for r, c := range t.counts {
		out = append(out, repoPulls{r, c})
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b repoPulls) int {
		return cmp.Or(cmp.Compare(b.Pulls, a.Pulls), cmp.Compare(a.Repository, b.Repository))
	})
	return out[:min(n, len(out))]
}

// topRepositories lists the most pulled repositories (pulls are manifest
// GETs by tag), most first.
func (m *Mirror) topRepositories(n int) []repoPulls { return m.pulls.top(n) }
