package mirror

import (
	"net/http"
	"net/url"
	"time"
)

// serveTags passes a tag list through from upstream: tags are upstream's
// truth, and a stale list is worse than an honest error.
func (m *Mirror) serveTags(w http.ResponseWriter, r *http.Request, rt route) {
	defer waitedOnUpstream(r.Context(), time.Now())
	list, err := rt.reg.Upstream.Tags(r.Context(), rt.repo, pagination(r.URL.Query()))
	if err != nil {
		writeError(w, err, errNameUnknown)
		return
	}
	if list.Link != "" {
		w.Header().Set("Link", list.Link)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(list.Body)
}

// pagination keeps the distribution spec's n and last; anything else in
// the query (containerd's ns) is the mirror's business, not upstream's.
func pagination(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range []string{"n", "last"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}
