package logbuf

import (
	"context"
	"log/slog"
)

// flusher is what Urgent needs of the sink behind a handler.
type flusher interface{ Flush() error }

// urgentHandler flushes the sink after every record at or above a level,
// so a warning or an error is on disk at once, not an interval later: the
// lines an operator reads after a crash are the ones that say why.
type urgentHandler struct {
	slog.Handler
	sink  flusher
	level slog.Level
}

// Urgent wraps h, whose output goes to sink, so that records at level or
// above are flushed as soon as they are written.
func Urgent(h slog.Handler, sink flusher, level slog.Level) slog.Handler {
	return urgentHandler{Handler: h, sink: sink, level: level}
}

func (h urgentHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.level {
		if ferr := h.sink.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h urgentHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return urgentHandler{Handler: h.Handler.WithAttrs(attrs), sink: h.sink, level: h.level}
}

func (h urgentHandler) WithGroup(name string) slog.Handler {
	return urgentHandler{Handler: h.Handler.WithGroup(name), sink: h.sink, level: h.level}
}
