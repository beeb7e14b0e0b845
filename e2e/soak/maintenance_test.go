package soak

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// maintenance is what an operator runs on the data dir while the mirror is
// down: each must succeed on whatever a kill -9 left, and none may take a
// pushed image with it (the check after the restart would see it gone).
var maintenance = []struct {
	name string
	args []string
}{
	// Nothing damaged the disk, so verify must find nothing to remove.
	{"cache verify", []string{"cache", "verify"}},
	// Pushes in flight were cut by the stop; a grace of a minute still
	// spares any blob whose manifest the client is about to send again.
	{"cache gc", []string{"cache", "gc", "--hosted-gc-grace", "1m"}},
	{"cache prune", []string{"cache", "prune", "--max-size", strconv.Itoa(cacheMaxSize / 2)}},
}

// maintenanceTimeout bounds one command; verify re-hashes the whole cache.
const maintenanceTimeout = 2 * time.Minute

// maintain runs one maintenance command, drawn at random, on the stopped
// mirror's data dir and counts how it went.
func (r *restarter) maintain(ctx context.Context) {
	m := maintenance[r.rng.IntN(len(maintenance))]
	args := append(append([]string{}, m.args...), "--data-dir", r.mirror.dataDir)
	env := proctest.DropEnv(proctest.OfflineEnv(os.Environ()), "HUBMIRROR_")
	out, err := proctest.Run(ctx, maintenanceTimeout, env, hubmirrorBin, args...)
	r.tally.event("maintenance while stopped: "+m.name, 1)
	if err != nil && ctx.Err() == nil {
		r.tally.event("maintenance FAILED", 1)
		r.tally.note("maintenance", "%s: %v\n%s", m.name, err, truncate([]byte(out), 2000))
	}
}
