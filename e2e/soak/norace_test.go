//go:build !race

package soak

// raceEnabled is false when the tests run without -race; see race_test.go.
const raceEnabled = false
