package upstream

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// TagList is one page of a repository's tags, as upstream sent it.
type TagList struct {
	Body []byte
	Link string // the next page, if any, in upstream's Link header
}

// Tags fetches one page of repo's tags; query carries the client's n and last.
func (c *Client) Tags(ctx context.Context, repo string, query url.Values) (*TagList, error) {
	path := "/v2/" + repo + "/tags/list"
	resp, err := c.doQuery(ctx, http.MethodGet, repo, path, query, nil)
	if err != nil {
		return nil, err
	}
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestSize))
	if err != nil {
		return nil, unreachable(err)
	}
	return &TagList{Body: body, Link: resp.Header.Get("Link")}, nil
}
