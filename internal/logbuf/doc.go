// Package logbuf batches log lines into few writes: a line waits in memory
// at most a flush interval (or until the buffer fills, a warning or error
// is logged, or the program closes the writer), so a busy server pays one
// write(2) per batch instead of one per request, and a crash loses at most
// the last interval's info lines.
package logbuf
