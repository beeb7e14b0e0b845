// Command gofloor is bench scenario 4's Go floor: the least a Go server
// built on net/http does to answer a manifest request — the bytes from
// memory, with a registry's headers. hubmirror cannot be faster than this
// on the same machine under the same load, so the scenario reports
// hubmirror's requests/s and p99 as ratios to it beside nginx's: what
// remains between the floor and nginx is net/http and Go's runtime, not
// hubmirror.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
)

// maxManifest skips the big blobs that share the bench's web root.
const maxManifest = 64 << 10

type manifest struct {
	body   []byte
	header http.Header
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	root := flag.String("root", "", "web root whose v2/ tree holds the manifests (nginx's root in the bench)")
	flag.Parse()
	byPath, err := load(*root)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving %d manifests on %s", len(byPath), *listen)
	log.Fatal(http.ListenAndServe(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		for k, v := range m.header {
			h[k] = v
		}
		if r.Method != http.MethodHead {
			w.Write(m.body)
		}
	})))
}

// load reads every small file under root/v2 into memory, keyed by its URL
// path, with the headers a registry sends for it.
func load(root string) (map[string]manifest, error) {
	byPath := map[string]manifest{}
	err := filepath.WalkDir(filepath.Join(root, "v2"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err != nil || info.Size() > maxManifest {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc struct{ MediaType string }
		if json.Unmarshal(body, &doc) != nil || doc.MediaType == "" {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		byPath["/"+filepath.ToSlash(rel)] = manifest{body: body, header: http.Header{
			"Content-Type":          {doc.MediaType},
			"Content-Length":        {strconv.Itoa(len(body))},
			"Docker-Content-Digest": {fmt.Sprintf("sha256:%x", sha256.Sum256(body))},
		}}
		return nil
	})
	return byPath, err
}
