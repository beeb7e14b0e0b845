// Package soak runs the real hubmirror binary for minutes or hours against
// the fake Docker Hub with faults switched on and off at random, under a
// population of clients that pull, push and walk away, while it is killed
// and restarted; it checks every body, that no pushed image is lost, and
// that the process's resources come back down when the load stops.
//
// TestSoak runs only when SOAK names a duration (make soak: 30m; make test:
// 2m). SOAK_SEED replays a run's schedule; SOAK_REPORT also writes the
// summary to a file.
package soak
