package upstreamtest

import (
	"encoding/base64"
	"encoding/json"
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

// serveTags lists tags in lexical order, paged as distribution's
// registry/handlers/tags.go pages them: n and last, and, when more tags
// follow, a Link to the next page (n kept, last the page's final tag).
// With SetOpaqueTagPaging the Link carries Quay's opaque next_page instead.
func (h *Hub) serveTags(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	opaque := h.paging.opaqueTags.Load()
	if opaque {
		q.Set("last", fromPageToken(q.Get("next_page")))
	}
	if n := h.paging.tagPage.Load(); n > 0 && !q.Has("n") {
		q.Set("n", strconv.FormatInt(n, 10))
	}
	tags, more, err := page(h.store.tags(rt.repo), q)
	if err != nil {
		h.writeError(w, errPagination)
		return
	}
	if more {
		next := url.Values{"n": {strconv.Itoa(len(tags))}, "last": {tags[len(tags)-1]}}
		if opaque {
			next = url.Values{"n": next["n"], "next_page": {pageToken(tags[len(tags)-1])}}
		}
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?%s>; rel="next"`, rt.repo, next.Encode()))
	}
	if k := h.paging.cutTags.Swap(0) - 1; k >= 0 {
		writeCut(w, tagList{Name: rt.repo, Tags: tags}, k)
		return
	}
	writeJSON(w, http.StatusOK, tagList{Name: rt.repo, Tags: tags})
}

// writeCut sends the first k bytes of v's JSON under a Content-Length for
// all of it, then breaks the connection.
func writeCut(w http.ResponseWriter, v any, k int64) {
	b, err := json.Marshal(v)
	must(err, "CutNextTagList")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", itoa(int64(len(b))))
	w.WriteHeader(http.StatusOK)
	w.Write(b[:min(k, int64(len(b)))])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

// pageToken hides the last tag of a page the way Quay's next_page does:
// nothing a client could build from the tags it has seen.
func pageToken(last string) string {
	return base64.URLEncoding.EncodeToString([]byte("after\x00" + last))
}

func fromPageToken(tok string) string {
	b, err := base64.URLEncoding.DecodeString(tok)
	if err != nil || len(b) < len("after\x00") {
		return ""
	}
	return string(b[len("after\x00"):])
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
