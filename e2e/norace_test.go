//go:build !race

package e2e

// raceEnabled is false when the tests run without -race; see race_test.go.
const raceEnabled = false
