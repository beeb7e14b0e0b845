package mirror

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
)

// hostedStore is what hosted repositories need of the store beyond the
// read side, each part declared by the file that uses it. A Store that
// lacks it cannot host: New refuses --hosted then.
type hostedStore interface {
	uploadStore
	hostedBlobStore
	hostedManifestStore
	hostedListStore
}

// uploadStore takes pushed blobs in (uploads.go).
type uploadStore interface {
	NewUpload() (*cache.Upload, error)
	Mount(repo string, d v1.Hash, from string) error
	HostedSize() int64
}

// hostedBlobStore serves and unlinks a hosted repository's blobs.
type hostedBlobStore interface {
	HostedBlob(repo string, d v1.Hash) (cache.Blob, cache.Meta, error)
	Unlink(repo string, d v1.Hash) error
}

// hostedManifestStore keeps a hosted repository's manifests and tags.
type hostedManifestStore interface {
	PushManifest(p cache.ManifestPush) error
	HostedManifest(repo, tag string, d v1.Hash) ([]byte, string, v1.Hash, error)
	DeleteHostedManifest(repo string, d v1.Hash) error
	DeleteHostedTag(repo, tag string) error
}

// hostedListStore answers content discovery for hosted repositories.
type hostedListStore interface {
	HostedTags(repo string) ([]string, error)
	Referrers(repo, subject string) ([]json.RawMessage, error)
	HostedRepositoryNames() ([]string, error)
}

// setUpHosted checks the --hosted patterns against the mirrored
// registries and finds the store's write side.
func (m *Mirror) setUpHosted() error {
	patterns := hostedPatterns(m.opts.Hosted)
	if len(patterns) == 0 {
		return nil
	}
	hs, ok := m.opts.Store.(hostedStore)
	if !ok {
		return fmt.Errorf("--hosted: this store cannot keep pushed content")
	}
	if err := patterns.check(m.regs, m.log); err != nil {
		return err
	}
	if m.opts.Users == nil {
		m.log.Warn("hosted repositories without --htpasswd: anyone who can reach the mirror may push to them",
			"hosted", strings.Join(patterns, ","))
	}
	m.regs.hosted = patterns
	m.hosted = hs
	m.uploads = newUploads(m.opts.MaxUploads, m.opts.UploadIdle, m.now)
	return nil
}

// check refuses a pattern that would take over a mirrored registry's path
// prefix (ghcr.io/* would make ghcr.io's images unpullable), and warns of
// the Docker Hub names each pattern shadows, which is allowed: it is how a
// team replaces an image on purpose.
func (hp hostedPatterns) check(regs *registries, log *slog.Logger) error {
	for _, p := range hp {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("--hosted %q: %w", p, err)
		}
		first, _, nested := strings.Cut(p, "/")
		for host := range regs.byHost {
			if ok, _ := path.Match(first, host); ok && nested {
				return fmt.Errorf("--hosted %q would shadow the mirrored registry %s (names %s/…): choose a pattern whose first part cannot match a registry host", p, host, host)
			}
		}
		if regs.byHost[dockerHub] != nil {
			log.Warn("hosted pattern shadows Docker Hub repositories of the same name: they are served from local storage, never from Docker Hub", "pattern", p)
		}
	}
	return nil
}

// writeRefusal is the answer to a write outside the hosted repositories.
func (m *Mirror) writeRefusal() error {
	if len(m.regs.hosted) == 0 {
		return errWriteRejected
	}
	return apiErr(errDenied, "pushes are accepted only for hosted repositories (%s); other names are mirrored read-only",
		strings.Join(m.regs.hosted, ", "))
}

var errMethod = apiErr(errUnsupported, "method not allowed on this endpoint")

// serveHosted answers a hosted repository from local storage alone: no
// path from here leads upstream.
func (m *Mirror) serveHosted(w http.ResponseWriter, r *http.Request, rt route) {
	switch rt.kind {
	case routeManifest:
		m.hostedManifestMethod(w, r, rt)
	case routeBlob:
		m.hostedBlobMethod(w, r, rt)
	case routeUpload:
		m.uploadMethod(w, r, rt)
	case routeTags:
		m.serveHostedTags(w, r, rt)
	case routeReferrers:
		m.serveReferrers(w, r, rt)
	default:
		writeError(w, errNotFoundPath, errNotFound)
	}
}

func isRead(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// writeHostedError is writeError for hosted routes.
func writeHostedError(w http.ResponseWriter, err error, notFound errorCode) {
	writeError(w, hostedError(err, notFound), notFound)
}
