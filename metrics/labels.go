package metrics

// Label values of the counters whose labels come from fixed sets. The
// mirror labels its counts with these names, and New starts every series
// at zero, so a fresh mirror already exports each one and a dashboard
// panel has data before the first error or miss.
const (
	KindManifest = "manifest"
	KindBlob     = "blob"

	ResultHit   = "hit"
	ResultMiss  = "miss"
	ResultStale = "stale" // served while upstream failed

	SourceCache = "cache"
	SourceFill  = "fill" // a download in progress

	ReasonCorrupt  = "corrupt"  // digest or size mismatch
	ReasonUpstream = "upstream" // unreachable or refused
	ReasonLocal    = "local"    // disk
	ReasonNoSpace  = "no_space" // the data dir's filesystem is full

	UploadStarted   = "started"   // a blob upload session opened
	UploadCompleted = "completed" // verified and stored
	UploadFailed    = "failed"    // bad digest, too large, disconnected or cancelled
)

// The sets themselves, for New to start at zero and for tests to check
// that the mirror labels nothing outside them.
var (
	LookupKinds      = []string{KindManifest, KindBlob}
	LookupResults    = []string{ResultHit, ResultMiss, ResultStale}
	ServedSources    = []string{SourceCache, SourceFill}
	FillErrorReasons = []string{ReasonCorrupt, ReasonUpstream, ReasonLocal, ReasonNoSpace}
	UploadEvents     = []string{UploadStarted, UploadCompleted, UploadFailed}
)

// startAtZero creates every series of the fixed-set counters. A Vec
// exports no series until a label value is first used, so without this
// hubmirror_fill_errors_total would not exist until something failed.
func (m *Metrics) startAtZero() {
	for _, kind := range LookupKinds {
		for _, result := range LookupResults {
			m.CacheLookups.WithLabelValues(kind, result)
		}
	}
	for _, source := range ServedSources {
		m.ServedBytes.WithLabelValues(source)
	}
	for _, reason := range FillErrorReasons {
		m.FillErrors.WithLabelValues(reason)
	}
	m.negativeAtZero()
	for _, event := range UploadEvents {
		m.Uploads.WithLabelValues(event)
	}
}
