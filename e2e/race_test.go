//go:build race

package e2e

// raceEnabled is true when the tests run with -race; hubmirror is then built
// with -race as well, so e2e traffic also hunts for data races in the server.
const raceEnabled = true
