package upstreamtest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

type tagList struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// serveTags lists tags in lexical order with the spec's n/last pagination
// and a Link header pointing at the next page.
func (h *Hub) serveTags(w http.ResponseWriter, r *http.Request, rt route) {
	tags, more, err := page(h.store.tags(rt.repo), r.URL.Query())
	if err != nil {
		h.writeError(w, errPagination)
		return
	}
	if more {
		last := tags[len(tags)-1]
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?last=%s&n=%d>; rel="next"`, rt.repo, last, len(tags)))
	}
	writeJSON(w, http.StatusOK, tagList{Name: rt.repo, Tags: tags})
}

// page cuts the sorted tags to those after last, at most n of them, and
// reports whether any remain beyond the page.
func page(tags []string, q url.Values) ([]string, bool, error) {
	if last := q.Get("last"); last != "" {
		i, found := slices.BinarySearch(tags, last)
		if found {
			i++
		}
		tags = tags[i:]
	}
	more := false
	if s := q.Get("n"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, false, errors.New("bad n")
		}
		more = n > 0 && n < len(tags)
		tags = tags[:min(n, len(tags))]
	}
	// Never null: clients expect a list.
	return append([]string{}, tags...), more, nil
}
