package soak

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// client is one member of the population: its own random stream, a
// transport shared with the others (as the containerd of one host shares
// its connections), and the tally every answer goes into.
type client struct {
	base   string
	http   *http.Client
	tally  *tally
	world  *world
	pushes *ledger
	rng    *rand.Rand

	// lastStatus is the status of the last answer send got (0: none), for
	// the callers to which a particular error means something.
	lastStatus int
}

// opTimeout bounds one request and its body: long enough for a 3 MiB
// layer over the slowest link fault, short enough that a stuck mirror
// shows as aborted requests rather than a stuck soak.
const opTimeout = 90 * time.Second

// maxErrorBody bounds what is read of an error answer.
const maxErrorBody = 64 << 10

// send makes one request and returns the response if its status is one of
// want.
// Anything else is recorded (a clean OCI error by status, an unclean one,
// a failed connection) and nil is returned.
func (c *client) send(ctx context.Context, kind string, req *http.Request, want ...int) *http.Response {
	c.lastStatus = 0
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		c.tally.outcome(kind, c.failure(ctx))
		return nil
	}
	c.lastStatus = resp.StatusCode
	if slices.Contains(want, resp.StatusCode) {
		return resp
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	switch {
	case err != nil:
		c.tally.outcome(kind, c.failure(ctx))
	case req.Method == http.MethodHead || isOCIError(body):
		c.tally.outcome(kind, "error "+itoa(resp.StatusCode))
	default:
		c.tally.outcome(kind, resultUnclean)
		c.tally.note(kind, "unclean %d %s: %q", resp.StatusCode, req.URL.Path, truncate(body, 200))
	}
	return nil
}

// failure names a failed exchange: the run's own end, or the connection.
func (c *client) failure(ctx context.Context) string {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), errRunOver) {
		return resultCancelled
	}
	return resultAborted
}

// errRunOver is the cause of the contexts the harness cancels at the end.
var errRunOver = errors.New("soak: load stopped")

// isOCIError says body is {"errors":[{"code":"…",…}]}.
func isOCIError(body []byte) bool {
	var e struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	return json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 && e.Errors[0].Code != ""
}

// readBody reads a 2xx body to its end, counting the bytes served. A body
// cut short is an aborted exchange, not a wrong one: the client can tell.
func (c *client) readBody(ctx context.Context, kind string, resp *http.Response) ([]byte, bool) {
	defer resp.Body.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, resp.Body)
	c.tally.servedBytes.Add(n)
	if err != nil {
		c.tally.outcome(kind, c.failure(ctx))
		return nil, false
	}
	return buf.Bytes(), true
}

// fetch is send and readBody: the whole body of an answer with status
// want, and its header.
func (c *client) fetch(ctx context.Context, kind string, req *http.Request, want int) ([]byte, http.Header, bool) {
	resp := c.send(ctx, kind, req, want)
	if resp == nil {
		return nil, nil, false
	}
	body, ok := c.readBody(ctx, kind, resp)
	return body, resp.Header, ok
}

func (c *client) newRequest(method, path string, body io.Reader) *http.Request {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		panic(err) // paths are built here from known names
	}
	return req
}

// opContext bounds one operation inside the run.
func opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, opTimeout)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hashOf(b []byte) v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: sha256Hex(b)} }

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

// pause is how a real client backs off after a failure, so a mirror that
// is down is not hammered by a tight loop of refused connections.
func (c *client) pause(ctx context.Context) {
	t := time.NewTimer(time.Duration(100+c.rng.IntN(400)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
