package e2e

import (
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// twoRegistries is a fake Docker Hub and a fake ghcr.io behind one
// hubmirror config. Each holds the other's image names with different
// content, so a pull routed to the wrong registry ends with the wrong
// digest instead of passing.
type twoRegistries struct {
	hub, ghcr *upstreamtest.Hub
	alpine    pushed // docker.io/library/alpine:latest
	tool      pushed // ghcr.io/owner/tool:1.0
	ghcrAlp   pushed // ghcr.io/library/alpine:latest, the decoy for alpine
	hubTool   pushed // docker.io/owner/tool:1.0, the decoy for tool
	config    string // hubmirror config file listing both
}

func newTwoRegistries(t *testing.T) *twoRegistries {
	t.Helper()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	ghcr := upstreamtest.New(t, upstreamtest.Options{Service: "ghcr.io"})
	return &twoRegistries{
		hub:     hub,
		ghcr:    ghcr,
		alpine:  addImage(t, hub, "library/alpine", "latest"),
		tool:    addImage(t, ghcr, "owner/tool", "1.0"),
		ghcrAlp: addImage(t, ghcr, "library/alpine", "latest"),
		hubTool: addImage(t, hub, "owner/tool", "1.0"),
		config: writeConfig(t,
			upstreamEntry{Host: "docker.io", URL: hub.URL},
			upstreamEntry{Host: "ghcr.io", URL: ghcr.URL}),
	}
}

// registryCase is one image of twoRegistries: where a pull of ref must come
// from, and the decoy of the same name it must not touch.
type registryCase struct {
	ref          string
	want         pushed
	own, other   *upstreamtest.Hub
	decoyOnOther pushed
}

func (r *twoRegistries) alpineCase() registryCase {
	return registryCase{"docker.io/library/alpine:latest", r.alpine, r.hub, r.ghcr, r.ghcrAlp}
}

func (r *twoRegistries) toolCase() registryCase {
	return registryCase{"ghcr.io/owner/tool:1.0", r.tool, r.ghcr, r.hub, r.hubTool}
}
