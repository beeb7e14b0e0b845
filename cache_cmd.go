package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

// cacheCommand groups the offline cache tools. They open the data dir
// themselves, so they refuse to run while a server holds it.
func cacheCommand() *cli.Command {
	return &cli.Command{
		Name:  "cache",
		Usage: "inspect and maintain the cache (while the server is stopped)",
		Subcommands: []*cli.Command{
			cacheLsCommand(),
			cacheStatsCommand(),
			cachePruneCommand(),
			cacheVerifyCommand(),
			cacheRebuildCommand(),
			cacheGCCommand(),
		},
	}
}

// openCache opens an existing data dir for an offline command. Problems
// found on the way in (files adopted or removed after a crash) are
// reported on stderr.
func openCache(c *cli.Context, o cache.Options) (*cache.Store, error) {
	dir := c.String("data-dir")
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	o.Log = slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := cache.OpenWithOptions(dir, o)
	if err != nil {
		return nil, inUse(dir, err)
	}
	return s, nil
}

// inUse turns the data dir lock into what the operator should do.
func inUse(dir string, err error) error {
	if errors.Is(err, cache.ErrInUse) {
		return fmt.Errorf("data dir %s is in use by a running hubmirror (stop it first)", dir)
	}
	return err
}

// closeCache closes s, keeping the command's own error first.
func closeCache(s *cache.Store, err *error) {
	if cerr := s.Close(); *err == nil {
		*err = cerr
	}
}

func cacheStatsCommand() *cli.Command {
	return &cli.Command{
		Name:   "stats",
		Usage:  "count cached blobs, bytes, tags and repositories",
		Flags:  cacheStatsFlags(),
		Action: cacheStats,
	}
}

func cacheStats(c *cli.Context) (err error) {
	var maxSize int64
	if v := c.String("max-size"); v != "" {
		if maxSize, err = cache.ParseSize(v); err != nil {
			return fmt.Errorf("--max-size: %w", err)
		}
	}
	s, err := openCache(c, cache.Options{MaxSize: maxSize})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	st, err := s.Stats()
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return json.NewEncoder(c.App.Writer).Encode(st)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "blobs:        %d\n", st.Entries)
	fmt.Fprintf(w, "bytes:        %s (%d)\n", humanize.IBytes(uint64(st.Bytes)), st.Bytes)
	if st.MaxSize > 0 {
		fmt.Fprintf(w, "cap:          %s (%.1f%% used)\n", humanize.IBytes(uint64(st.MaxSize)), 100*float64(st.Bytes-st.Hosted)/float64(st.MaxSize))
	}
	fmt.Fprintf(w, "tags:         %d\n", st.Tags)
	fmt.Fprintf(w, "repositories: %d\n", st.Repos)
	_, err = fmt.Fprintf(w, "hosted:       %s (%d) in %d repositories, never evicted, outside the cap\n",
		humanize.IBytes(uint64(st.Hosted)), st.Hosted, st.HostedRepos)
	return err
}

func cachePruneCommand() *cli.Command {
	return &cli.Command{
		Name:   "prune",
		Usage:  "evict least recently used content until the cache fits SIZE",
		Flags:  cachePruneFlags(),
		Action: cachePrune,
	}
}

func cachePrune(c *cli.Context) (err error) {
	size, err := cache.ParseSize(c.String("max-size"))
	if err != nil {
		return fmt.Errorf("--max-size: %w", err)
	}
	pins, err := pinsFromFlags(c)
	if err != nil {
		return err
	}
	s, err := openCache(c, cache.Options{Pins: pins})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	got, err := s.EvictTo(size)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "evicted %d blobs (%s); %d blobs (%s) remain, %s of them hosted (never pruned)\n",
		got.Blobs, humanize.IBytes(uint64(got.Bytes)), s.Entries(), humanize.IBytes(uint64(s.Used())), humanize.IBytes(uint64(s.HostedSize())))
	if cached := s.Used() - s.HostedSize(); cached > size {
		fmt.Fprintf(c.App.Writer, "the rest is pinned: %s over %s\n", humanize.IBytes(uint64(cached-size)), humanize.IBytes(uint64(size)))
	}
	return nil
}

func cacheVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "re-hash every blob; remove (and report) any that is corrupt or missing",
		Description: `Exits non-zero if anything was wrong. What was removed is fetched from
upstream again on its next pull.`,
		Flags:  cacheVerifyFlags(),
		Action: cacheVerify,
	}
}

func cacheVerify(c *cli.Context) (err error) {
	s, err := openCache(c, cache.Options{})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	got, err := s.Verify(func(d v1.Hash, problem error) {
		whose := ""
		if s.Hosted(d) {
			whose = " (hosted: push it again, upstream does not have it)"
		}
		fmt.Fprintf(c.App.Writer, "removed %s%s: %v\n", d, whose, problem)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "checked %d blobs (%s, %s of them hosted): %d corrupt, %d missing\n",
		got.Checked, humanize.IBytes(uint64(got.Bytes)), humanize.IBytes(uint64(s.HostedSize())), got.Corrupt, got.Missing)
	if got.Corrupt+got.Missing > 0 {
		return fmt.Errorf("verify removed %d corrupt and %d missing blobs", got.Corrupt, got.Missing)
	}
	return nil
}

// cacheRebuildCommand is what a server refusing a damaged index tells the
// operator to run.
func cacheRebuildCommand() *cli.Command {
	return &cli.Command{
		Name:  "rebuild",
		Usage: "set a damaged index aside and build a new one from the files under blobs/, each re-hashed",
		Description: `Run it when serve refuses to start because the index is damaged. Files that
do not match their digest are removed. Hosted repositories, tags and links
were only in the index and are not rebuilt: push them again.`,
		Flags:  cacheVerifyFlags(),
		Action: cacheRebuild,
	}
}

func cacheRebuild(c *cli.Context) (err error) {
	dir := c.String("data-dir")
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, aside, err := cache.Rebuild(dir, cache.Options{Log: log})
	if err != nil {
		return inUse(dir, err)
	}
	defer closeCache(s, &err)
	if aside != "" {
		fmt.Fprintf(c.App.Writer, "the damaged index is kept in %s\n", aside)
	}
	fmt.Fprintf(c.App.Writer, "rebuilt the index from blobs/: %d blobs (%s), each re-hashed\n", s.Entries(), humanize.IBytes(uint64(s.Used())))
	fmt.Fprintln(c.App.Writer, "hosted repositories, tags and links were only in the old index and are not rebuilt: push them again (their blobs are kept, as cached content)")
	return nil
}

// cacheGCCommand runs the hosted garbage collection now, which the server
// otherwise runs in the background: after deleting manifests, an operator
// gets the space back without waiting, and a test can prove what it keeps.
func cacheGCCommand() *cli.Command {
	return &cli.Command{
		Name:   "gc",
		Usage:  "reclaim hosted blobs no hosted manifest refers to (mirrored content is left to the LRU)",
		Flags:  cacheGCFlags(),
		Action: cacheGC,
	}
}

func cacheGC(c *cli.Context) (err error) {
	s, err := openCache(c, cache.Options{})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	got, err := s.CollectHosted(c.Duration("hosted-gc-grace"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "unlinked %d blobs from repositories; removed %d blobs (%s); hosted content now %s\n",
		got.Links, got.Blobs, humanize.IBytes(uint64(got.Bytes)), humanize.IBytes(uint64(s.HostedSize())))
	return nil
}
