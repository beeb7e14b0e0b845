package upstream

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// TagList is one page of a repository's tags, as upstream sends it.
type TagList struct {
	// Body is the page as it arrives, not read into memory: a popular
	// repository's list runs to megabytes, and a bound would cut it into
	// invalid JSON. The caller closes it.
	Body io.ReadCloser
	// Next is the query of the next page exactly as upstream put it in its
	// Link header (n and last, or Quay's opaque next_page), for the caller
	// to send back; nil on the last page.
	Next url.Values
	// Stale says the registry is a mirror that answered from its own
	// cache (Warning: 110), its upstream being out of reach.
	Stale bool
}

// Tags fetches one page of repo's tags; query carries the client's paging
// parameters, upstream's own ones included.
func (c *Client) Tags(ctx context.Context, repo string, query url.Values) (*TagList, error) {
	path := "/v2/" + repo + "/tags/list"
	resp, err := c.doQuery(ctx, http.MethodGet, repo, path, query, nil)
	if err != nil {
		return nil, err
	}
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return nil, err
	}
	list := &TagList{Body: resp.Body, Stale: isStale(resp.Header)}
	if next, err := url.Parse(nextLink(resp.Header)); err == nil && next.RawQuery != "" {
		list.Next = next.Query()
		// ns is this client's to send, not a paging parameter.
		list.Next.Del("ns")
		if len(list.Next) == 0 {
			list.Next = nil
		}
	}
	return list, nil
}
