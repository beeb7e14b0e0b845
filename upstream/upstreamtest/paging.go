package upstreamtest

import "sync/atomic"

// paging holds the knobs that make the Hub page like registries other
// than itself, so a mirror is tested against each way of paging.
type paging struct {
	opaqueTags    atomic.Bool
	tagPage       atomic.Int64
	cutTags       atomic.Int64 // +1: 0 means off
	noReferrers   atomic.Bool
	referrersPage atomic.Int64
}

// SetOpaqueTagPaging makes tag lists page the way Quay does: the Link
// header carries n and an opaque next_page token that only this Hub can
// read, and last is ignored. A client (or mirror) must send every query
// parameter of the Link back as it was, rather than rebuild n and last.
func (h *Hub) SetOpaqueTagPaging(on bool) { h.paging.opaqueTags.Store(on) }

// SetReferrersAPI turns the OCI 1.1 referrers API off (false), so the
// endpoint answers a bare 404 as registries that predate it do, and
// clients must fall back to the sha256-<hex> tag (PushReferrersTag). On by
// default.
func (h *Hub) SetReferrersAPI(on bool) { h.paging.noReferrers.Store(!on) }

// SetReferrersPageSize makes referrers answers list at most n descriptors
// and link to the rest with rel="next", as the spec allows a registry to;
// 0 (the default) answers in one page.
func (h *Hub) SetReferrersPageSize(n int) { h.paging.referrersPage.Store(int64(n)) }

// SetDefaultTagPage makes a tag list asked for without n list at most n
// tags and link to the rest, as registries that cap their pages do (ECR,
// Harbor, ghcr.io's large repositories); 0 (the default) lists every tag,
// as distribution does.
func (h *Hub) SetDefaultTagPage(n int) { h.paging.tagPage.Store(int64(n)) }

// CutNextTagList makes the next tag list send only its first k bytes of
// body (under the full Content-Length) and then drop the connection, as an
// upstream failing mid-answer does.
func (h *Hub) CutNextTagList(k int64) { h.paging.cutTags.Store(k + 1) }
