package mirror

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const (
	catalogDefault = 100
	catalogMax     = 1000
)

// serveCatalog lists the repositories the LAN has pulled (those with a
// cached tag), paginated with n and last as the distribution spec says.
// Docker Hub's repositories are listed by their own names; other
// registries' carry their host in front, the name to pull them by through
// this mirror (mirror.lan:5000/ghcr.io/owner/tool). Hosted repositories
// are listed by the names they were pushed under. ?ns= lists one registry.
func (m *Mirror) serveCatalog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := pageSize(q.Get("n"))
	if err != nil {
		writeError(w, err, errNotFound)
		return
	}
	all, err := m.catalog(q.Get("ns"))
	if err != nil {
		writeError(w, err, errNameUnknown)
		return
	}
	page, more := pageAfter(all, q.Get("last"), n)
	if more {
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}
		w.Header().Set("Link", `</v2/_catalog?`+next.Encode()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string][]string{"repositories": page})
}

// catalogStore lists the repositories the cache holds tags of.
type catalogStore interface {
	Repositories(upstream, last string, n int) ([]string, error)
}

func (m *Mirror) catalog(ns string) ([]string, error) {
	regs := m.regs.sorted()
	if ns != "" {
		reg, _, err := m.regs.lookup(ns, "")
		if err != nil {
			return nil, err
		}
		regs = []*registry{reg}
	}
	all := []string{}
	for _, reg := range regs {
		repos, err := m.opts.Store.Repositories(reg.Host, "", 0)
		if err != nil {
			return nil, err
		}
		for _, repo := range repos {
			all = append(all, reg.displayName(repo, ns != ""))
		}
	}
	if m.hosted != nil && ns == "" {
		hosted, err := m.hosted.HostedRepositoryNames()
		if err != nil {
			return nil, err
		}
		all = append(all, hosted...) // named as pushed, beside the mirrored ones
	}
	sort.Strings(all)
	return slices.Compact(all), nil
}

func pageSize(v string) (int, error) {
	if v == "" {
		return catalogDefault, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, apiErr(errPageSizeInvalid, "invalid n %q", v)
	}
	return min(n, catalogMax), nil
}

// pageAfter returns up to n names after last, and whether more follow.
func pageAfter(sorted []string, last string, n int) ([]string, bool) {
	start := 0
	if last != "" {
		start, _ = slices.BinarySearch(sorted, last)
		if start < len(sorted) && sorted[start] == last {
			start++
		}
	}
	rest := sorted[start:]
	if len(rest) <= n {
		return rest, false
	}
	return rest[:n], true
}

// displayName is how a client of this mirror names repo.
func (r *registry) displayName(repo string, single bool) string {
	if single || r.Host == dockerHub {
		return repo
	}
	return r.Host + "/" + repo
}

func (rs *registries) sorted() []*registry {
	out := make([]*registry, 0, len(rs.byHost))
	for _, r := range rs.byHost {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *registry) int { return strings.Compare(a.Host, b.Host) })
	return out
}
