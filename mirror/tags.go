package mirror

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream"
)

// tagLister is what the tag list needs of the cache: the tags of one
// repository that clients have pulled through the mirror.
type tagLister interface {
	RepoTags(upstream, repo string) ([]string, error)
}

// serveTags passes a tag list through from upstream, as it arrives: tags
// are upstream's truth, and a popular repository's list is megabytes. When
// upstream cannot be asked, the tags the cache knows are the best answer.
func (m *Mirror) serveTags(w http.ResponseWriter, r *http.Request, rt route) {
	defer waitedOnUpstream(r.Context(), time.Now())
	ctx := r.Context()
	cached, _ := m.opts.Store.RepoTags(rt.reg.Host, rt.repo)
	if len(cached) > 0 {
		// An answer is waiting if upstream fails: give it at once rather
		// than after a backoff.
		ctx = upstream.WithoutRetries(ctx)
	}
	list, err := rt.reg.Upstream.Tags(ctx, rt.repo, upstreamQuery(r.URL.Query()))
	if err != nil {
		m.serveCachedTags(w, r, rt, cached, err)
		return
	}
	defer list.Body.Close()
	if list.Next != nil {
		w.Header().Set("Link", nextPageLink(r, list.Next))
	}
	if list.Stale {
		// A parent mirror's answer from its cache: stale here too.
		noteCache(w, metrics.ResultStale)
		w.Header().Set("Warning", `110 - "stale"`)
	}
	w.Header().Set("Content-Type", "application/json")
	if _, err := io.Copy(w, list.Body); err != nil {
		// Part of the list went out under a 200: break the response, so
		// the client sees a failure rather than a shorter list.
		panic(http.ErrAbortHandler)
	}
}

// upstreamQuery is the client's query minus ns, which names the registry
// to the mirror and means nothing upstream. Everything else is paging, and
// some of it (Quay's next_page) only upstream can read.
func upstreamQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if k != "ns" {
			out[k] = v
		}
	}
	return out
}

// nextPageLink names a next page in the mirror's own name space: the path
// the client asked (its registry prefix kept), the paging query as
// upstream wrote it, and ns= again if the client named the registry so.
// Upstream's own path would send the client to Docker Hub's namespace.
func nextPageLink(r *http.Request, next url.Values) string {
	q := url.Values{}
	for k, v := range next {
		q[k] = v
	}
	if ns := r.URL.Query().Get("ns"); ns != "" {
		q.Set("ns", ns)
	}
	return "<" + r.URL.EscapedPath() + "?" + q.Encode() + `>; rel="next"`
}

// serveCachedTags answers from the cache's tags of the repository, marked
// stale, when upstream is down or rate-limiting. It pages with n and last
// itself; a client in the middle of upstream's opaque paging cannot be
// continued, and gets the outage.
func (m *Mirror) serveCachedTags(w http.ResponseWriter, r *http.Request, rt route, tags []string, upErr error) {
	q := r.URL.Query()
	if !servableStale(upErr) || len(tags) == 0 || !onlyKeys(q, "n", "last", "ns") {
		writeError(w, upErr, errNameUnknown)
		return
	}
	n, err := tagPageSize(q.Get("n"), len(tags))
	if err != nil {
		writeError(w, err, errNameUnknown)
		return
	}
	page, more := pageAfter(tags, q.Get("last"), n)
	if more && n > 0 {
		w.Header().Set("Link", nextPageLink(r, url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}))
	}
	m.log.Warn("serving cached tags", "repo", rt.repo, "registry", rt.reg.Host, "error", upErr)
	noteCache(w, metrics.ResultStale)
	w.Header().Set("Warning", `110 - "stale"`)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.repo, page})
}

// tagPageSize reads n as distribution does: absent means every tag.
func tagPageSize(v string, all int) (int, error) {
	if v == "" {
		return all, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, apiErr(errPageSizeInvalid, "invalid n %q", v)
	}
	return n, nil
}

func onlyKeys(q url.Values, keys ...string) bool {
	for k := range q {
		if !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}
