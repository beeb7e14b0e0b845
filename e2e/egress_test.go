package e2e

import (
	"os"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// offlineEnv is the caller's environment with outbound HTTP(S) blackholed,
// which daemons started here get: a request to a real host fails at once
// instead of reaching the internet from a CI host that has it.
func offlineEnv() []string { return proctest.OfflineEnv(os.Environ()) }
