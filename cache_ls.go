package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

func cacheLsCommand() *cli.Command {
	return &cli.Command{
		Name:   "ls",
		Usage:  "list cached tags and blobs: digests, sizes, last access",
		Flags:  cacheLsFlags(),
		Action: cacheLs,
	}
}

// lsTag is a tag row: what it resolves to and, if cached, that manifest.
type lsTag struct {
	Image      string     `json:"image"`
	Digest     string     `json:"digest"`
	MediaType  string     `json:"mediaType,omitempty"`
	FetchedAt  time.Time  `json:"fetchedAt"`
	Size       int64      `json:"size,omitempty"`
	LastAccess *time.Time `json:"lastAccess,omitempty"`
}

type lsBlob struct {
	Digest string `json:"digest"`
	cache.Meta
	Hosted bool `json:"hosted,omitempty"` // held by hosted content: never evicted
}

func cacheLs(c *cli.Context) (err error) {
	s, err := openCache(c, cache.Options{})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	var out lsWriter = &lsText{w: tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)}
	if c.Bool("json") {
		out = &lsJSON{w: c.App.Writer}
	}
	if err := out.begin(); err != nil {
		return err
	}
	if err := s.WalkTags(func(ref cache.TagRef, t cache.Tag) error {
		return out.tag(tagRow(s, ref, t))
	}); err != nil {
		return err
	}
	if err := out.startBlobs(); err != nil {
		return err
	}
	if err := s.Walk(func(d v1.Hash, m cache.Meta) error { return out.blob(lsBlob{d.String(), m, s.Hosted(d)}) }); err != nil {
		return err
	}
	usages, err := s.HostedUsages()
	if err != nil {
		return err
	}
	if err := out.startHosted(); err != nil {
		return err
	}
	for _, u := range usages {
		if err := out.hosted(u); err != nil {
			return err
		}
	}
	return out.end()
}

func tagRow(s *cache.Store, ref cache.TagRef, t cache.Tag) lsTag {
	row := lsTag{Image: ref.Upstream + "/" + ref.Repo + ":" + ref.Tag, Digest: t.Digest.String(), MediaType: t.MediaType, FetchedAt: t.FetchedAt}
	if m, err := s.Stat(t.Digest); err == nil {
		row.Size, row.LastAccess = m.Size, &m.LastAccess
	}
	return row
}

// lsWriter prints tags, then blobs.
type lsWriter interface {
	begin() error
	tag(lsTag) error
	startBlobs() error
	blob(lsBlob) error
	startHosted() error
	hosted(cache.HostedUsage) error
	end() error
}

type lsText struct{ w *tabwriter.Writer }

func (l *lsText) begin() error {
	_, err := fmt.Fprintln(l.w, "TAG\tDIGEST\tSIZE\tFETCHED\tLAST ACCESS")
	return err
}

func (l *lsText) tag(t lsTag) error {
	size, access := "-", "not cached"
	if t.LastAccess != nil {
		size, access = humanize.IBytes(uint64(t.Size)), when(*t.LastAccess)
	}
	_, err := fmt.Fprintf(l.w, "%s\t%s\t%s\t%s\t%s\n", t.Image, t.Digest, size, when(t.FetchedAt), access)
	return err
}

func (l *lsText) startBlobs() error {
	_, err := fmt.Fprintln(l.w, "\nBLOB\tSIZE\tMEDIA TYPE\tCREATED\tLAST ACCESS\tHOSTED")
	return err
}

func (l *lsText) startHosted() error {
	_, err := fmt.Fprintln(l.w, "\nHOSTED REPOSITORY\tMANIFESTS\tBLOBS\tSIZE")
	return err
}

func (l *lsText) hosted(u cache.HostedUsage) error {
	_, err := fmt.Fprintf(l.w, "%s\t%d\t%d\t%s\n", u.Repo, u.Manifests, u.Blobs, humanize.IBytes(uint64(u.Bytes)))
	return err
}

func (l *lsText) blob(b lsBlob) error {
	mt := b.MediaType
	if mt == "" {
		mt = "-"
	}
	hosted := "-"
	if b.Hosted {
		hosted = "yes"
	}
	_, err := fmt.Fprintf(l.w, "%s\t%s\t%s\t%s\t%s\t%s\n", b.Digest, humanize.IBytes(uint64(b.Size)), mt, when(b.Created), when(b.LastAccess), hosted)
	return err
}

func (l *lsText) end() error { return l.w.Flush() }

// when prints a time for people, in local time to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

// lsJSON streams one document, so a million blobs need no million-entry
// slice in memory.
type lsJSON struct {
	w io.Writer
	n int // items written to the current array
}

func (l *lsJSON) write(s string) error {
	_, err := io.WriteString(l.w, s)
	return err
}

func (l *lsJSON) begin() error { return l.write(`{"tags":[`) }

func (l *lsJSON) item(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sep := ",\n"
	if l.n == 0 {
		sep = "\n"
	}
	l.n++
	return l.write(sep + string(b))
}

func (l *lsJSON) tag(t lsTag) error { return l.item(t) }

func (l *lsJSON) startBlobs() error {
	l.n = 0
	return l.write("\n],\n\"blobs\":[")
}

func (l *lsJSON) blob(b lsBlob) error { return l.item(b) }

func (l *lsJSON) startHosted() error {
	l.n = 0
	return l.write("\n],\n\"hosted\":[")
}

func (l *lsJSON) hosted(u cache.HostedUsage) error { return l.item(u) }

func (l *lsJSON) end() error { return l.write("\n]}\n") }
