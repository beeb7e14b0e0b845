//go:build race

package soak

// raceEnabled is true under -race; the soaked binary is then built with
// -race too, so hours of mixed traffic also hunt for data races.
const raceEnabled = true
